import { describe, expect, it } from 'vitest'
import { AckTracker } from '../../src/channels/offsets.ts'

describe('AckTracker', () => {
  it('agrees with a plain model over runs of offsets with gaps, acked in any order, batch after batch', () => {
    // A small deterministic generator: the same cases every run.
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    const acks = new AckTracker()
    const delivered: number[] = []
    const acked = new Set<number>()
    let next = 0
    let committed: number | undefined
    for (let batch = 0; batch < 200; batch++) {
      const fresh: number[] = []
      for (let i = Math.floor(random() * 20); i > 0; i--) {
        if (random() < 0.15) next += 1 + Math.floor(random() * 3) // a gap (compaction, transaction markers)
        fresh.push(next)
        acks.delivered('t', 0, next)
        delivered.push(next++)
      }
      // Ack some of the outstanding offsets, in shuffled order (concurrent actors).
      const outstanding = delivered.filter((offset) => !acked.has(offset))
      for (const offset of outstanding.sort(() => random() - 0.5)) {
        if (random() < 0.6) {
          acks.acked('t', 0, offset)
          acked.add(offset)
        }
      }
      // One past the last offset of the longest acked prefix of what was delivered.
      const firstUnacked = delivered.findIndex((offset) => !acked.has(offset))
      const prefix = firstUnacked === -1 ? delivered.length : firstUnacked
      const expected = prefix === 0 ? undefined : delivered[prefix - 1] + 1
      const taken = acks.takeCommittable()
      if (taken.length > 0) expect(taken[0].offset).toBe(expected)
      else if (expected !== undefined) expect(committed).toBe(expected)
      if (expected !== undefined) committed = expected
      expect(acks.inFlight()).toBe(delivered.length - acked.size)
    }
  })

  it('commits the highest offset below which every delivered offset is acked', () => {
    const acks = new AckTracker()
    for (const offset of [0, 1, 2, 5, 6]) acks.delivered('t', 0, offset)
    acks.acked('t', 0, 1)
    expect(acks.takeCommittable()).toEqual([])
    acks.acked('t', 0, 0)
    expect(acks.takeCommittable()).toEqual([{ topic: 't', partition: 0, offset: 2 }])
    acks.acked('t', 0, 5)
    acks.acked('t', 0, 6)
    expect(acks.takeCommittable()).toEqual([])
    acks.acked('t', 0, 2)
    // Gaps in offsets (compaction) do not block: 2 is followed by 5 in delivery order.
    expect(acks.takeCommittable()).toEqual([{ topic: 't', partition: 0, offset: 7 }])
    expect(acks.inFlight()).toBe(0)
  })

  it('keeps partitions apart and retries after a failed commit', () => {
    const acks = new AckTracker()
    acks.delivered('t', 0, 10)
    acks.delivered('t', 1, 3)
    acks.acked('t', 1, 3)
    const offsets = acks.takeCommittable()
    expect(offsets).toEqual([{ topic: 't', partition: 1, offset: 4 }])
    acks.uncommit(offsets)
    expect(acks.takeCommittable()).toEqual([{ topic: 't', partition: 1, offset: 4 }])
    expect(acks.inFlight([{ topic: 't', partition: 0 }])).toBe(1)
  })

  it('does not count abandoned offsets as in flight, and never commits past them', () => {
    const acks = new AckTracker()
    acks.delivered('t', 0, 0)
    acks.delivered('t', 0, 1)
    acks.abandon('t', 0)
    acks.acked('t', 0, 1)
    expect(acks.inFlight()).toBe(0)
    expect(acks.takeCommittable()).toEqual([])
  })
})
