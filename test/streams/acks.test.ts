import { describe, expect, it } from 'vitest'
import { AckTracker } from '../../src/channels/offsets.ts'

describe('AckTracker', () => {
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
