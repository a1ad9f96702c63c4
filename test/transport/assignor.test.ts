import { describe, expect, it } from 'vitest'
import { CopartitionedAssignor } from '../../src/transport/assignor.ts'
import { checkInvariants, empty, nums, SimGroup, topics } from './assignor-sim.ts'

describe('CopartitionedAssignor basics', () => {
  it('announces the Faust protocol', () => {
    const assignor = new CopartitionedAssignor()
    expect(assignor.name).toBe('faust')
    expect(assignor.version).toBe(4)
  })

  it('gives a single member every partition', () => {
    const ppt = topics({ a: 3, b: 5 })
    const result = new SimGroup(ppt).join('m1').rebalance()
    expect(nums(result.get('m1')!.actives, 'a')).toEqual([0, 1, 2])
    expect(nums(result.get('m1')!.actives, 'b')).toEqual([0, 1, 2, 3, 4])
    expect(result.get('m1')!.standbys).toEqual([])
  })

  it('co-partitions two members: partition N of every topic on one member', () => {
    const ppt = topics({ orders: 4, payments: 4 })
    const result = new SimGroup(ppt).join('m1').join('m2').rebalance()
    checkInvariants(result, ppt)
    expect(nums(result.get('m1')!.actives, 'orders')).toHaveLength(2)
    expect(nums(result.get('m1')!.actives, 'orders')).toEqual(nums(result.get('m1')!.actives, 'payments'))
  })

  it('balances three members to floor/ceil shares', () => {
    const ppt = topics({ a: 8 })
    const result = new SimGroup(ppt).join('m1').join('m2').join('m3').rebalance()
    checkInvariants(result, ppt)
    const shares = [...result.values()].map((a) => a.actives.length).sort()
    expect(shares).toEqual([2, 3, 3])
  })

  it('gives extra partitions of several groups to different members', () => {
    const ppt = topics({ three: 3, five: 5 })
    const result = new SimGroup(ppt).join('m1').join('m2').rebalance()
    checkInvariants(result, ppt)
    expect(result.get('m1')!.actives.length).toBe(4)
    expect(result.get('m2')!.actives.length).toBe(4)
  })

  it('leaves members idle when there are fewer partitions than members', () => {
    const ppt = topics({ a: 2 })
    const result = new SimGroup(ppt).join('m1').join('m2').join('m3').rebalance()
    checkInvariants(result, ppt)
    expect([...result.values()].filter((a) => a.actives.length === 0)).toHaveLength(1)
  })

  it('is deterministic whatever the member order', () => {
    const ppt = topics({ a: 6, b: 6, c: 2 })
    const one = new SimGroup(ppt).join('m1').join('m2').join('m3').rebalance()
    const two = new SimGroup(ppt).join('m3').join('m1').join('m2').rebalance()
    for (const id of ['m1', 'm2', 'm3']) expect(two.get(id)).toEqual(one.get(id))
  })

  it('skips topics without partition counts (missing topics)', () => {
    const group = new SimGroup(topics({ a: 2 })).join('m1', ['a', 'missing'])
    const result = group.rebalance()
    expect(result.get('m1')!.actives).toEqual([
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 1 },
    ])
  })

  it('groups by subscribers too: a topic goes only to members subscribed to it', () => {
    const ppt = topics({ shared: 4, only1: 4 })
    const result = new SimGroup(ppt).join('m1', ['shared', 'only1']).join('m2', ['shared']).rebalance()
    expect(nums(result.get('m1')!.actives, 'only1')).toEqual([0, 1, 2, 3])
    expect(nums(result.get('m2')!.actives, 'only1')).toEqual([])
    expect(nums(result.get('m1')!.actives, 'shared')).toHaveLength(2)
    expect(nums(result.get('m2')!.actives, 'shared')).toHaveLength(2)
  })

  it('returns an entry for a member subscribed to nothing', () => {
    const result = new SimGroup(topics({ a: 2 })).join('m1').join('m2', []).rebalance()
    expect(result.get('m2')).toEqual(empty())
  })
})

describe('CopartitionedAssignor stickiness', () => {
  it('moves only what the new member needs when one joins', () => {
    const ppt = topics({ a: 6, b: 6 })
    const group = new SimGroup(ppt).join('m1').join('m2')
    const before = group.rebalance()
    const after = group.join('m3').rebalance()
    checkInvariants(after, ppt)
    for (const id of ['m1', 'm2']) {
      const kept = nums(after.get(id)!.actives, 'a')
      expect(kept).toHaveLength(2)
      for (const p of kept) expect(nums(before.get(id)!.actives, 'a')).toContain(p)
    }
    expect(nums(after.get('m3')!.actives, 'a')).toHaveLength(2)
  })

  it('keeps every remaining assignment when a member leaves', () => {
    const ppt = topics({ a: 9 })
    const group = new SimGroup(ppt).join('m1').join('m2').join('m3')
    const before = group.rebalance()
    const after = group.leave('m2').rebalance()
    checkInvariants(after, ppt)
    for (const id of ['m1', 'm3']) {
      for (const tp of before.get(id)!.actives) expect(after.get(id)!.actives).toContainEqual(tp)
    }
  })

  it('is stable across rebalances with no membership change', () => {
    const ppt = topics({ a: 7, b: 3 })
    const group = new SimGroup(ppt).join('m1').join('m2').join('m3')
    const first = group.rebalance()
    const second = group.rebalance()
    for (const id of ['m1', 'm2', 'm3']) expect(second.get(id)).toEqual(first.get(id))
  })

  it('honours a returning member only within its share', () => {
    const ppt = topics({ a: 4 })
    const group = new SimGroup(ppt).join('m1')
    group.rebalance() // m1 holds 0..3
    const after = group.join('m2').rebalance()
    checkInvariants(after, ppt)
    expect(nums(after.get('m1')!.actives, 'a')).toEqual([0, 1])
    expect(nums(after.get('m2')!.actives, 'a')).toEqual([2, 3])
  })

  it('resolves zombie claims: a partition claimed by two members is assigned once', () => {
    const ppt = topics({ a: 2 })
    const claim = (actives: number[]) =>
      Buffer.from(JSON.stringify({ assignment: { actives: { a: actives }, standbys: {} }, url: '' }))
    const leader = new CopartitionedAssignor()
    const result = leader.assign({
      members: [
        { memberId: 'm1', topics: ['a'], userData: claim([0, 1]) },
        { memberId: 'm2', topics: ['a'], userData: claim([0, 1]) },
      ],
      partitionsPerTopic: ppt,
    })
    const all = [...result.values()].flatMap((r) => r.partitions.map((tp) => tp.partition)).sort()
    expect(all).toEqual([0, 1])
  })

  it('ignores previous partitions beyond the current partition count', () => {
    const userData = Buffer.from(JSON.stringify({ assignment: { actives: { a: [5, 1] }, standbys: {} } }))
    const result = new CopartitionedAssignor().assign({
      members: [{ memberId: 'm1', topics: ['a'], userData }],
      partitionsPerTopic: topics({ a: 2 }),
    })
    expect(result.get('m1')!.partitions.map((tp) => tp.partition)).toEqual([0, 1])
  })

  it('reads a Python Faust subscription (spaced JSON) for stickiness', () => {
    const python = Buffer.from(
      '{"assignment": {"actives": {"a": [2, 3]}, "standbys": {}}, "url": "http://w2:6066", ' +
        '"changelog_distribution": {}, "topic_groups": {}}',
    )
    const result = new CopartitionedAssignor().assign({
      members: [
        { memberId: 'a-member', topics: ['a'], userData: null },
        { memberId: 'b-member', topics: ['a'], userData: python },
      ],
      partitionsPerTopic: topics({ a: 4 }),
    })
    expect(result.get('b-member')!.partitions.map((tp) => tp.partition)).toEqual([2, 3])
    expect(result.get('a-member')!.partitions.map((tp) => tp.partition)).toEqual([0, 1])
  })

  it('keeps invariants through random joins and leaves', () => {
    let seed = 42
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
      return seed / 2 ** 32
    }
    const ppt = topics({ a: 12, b: 12, c: 5, d: 1 })
    const group = new SimGroup(ppt)
    let next = 0
    for (let round = 0; round < 200; round++) {
      const ids = [...group.members.keys()]
      if (ids.length === 0 || (ids.length < 8 && random() < 0.55)) group.join(`m${String(next++).padStart(3, '0')}`)
      else group.leave(ids[Math.floor(random() * ids.length)])
      if (group.members.size === 0) continue
      const before = new Map([...group.members].map(([id, m]) => [id, m.assignment.actives]))
      const result = group.rebalance()
      checkInvariants(result, ppt)
      // Sticky: a surviving member loses partitions only when it held more than its ceiling share.
      for (const [id, actives] of before) {
        const now = result.get(id)!.actives
        const share = Math.ceil(12 / group.members.size)
        if (nums(actives, 'a').length <= Math.floor(12 / group.members.size)) {
          for (const p of nums(actives, 'a')) expect(nums(now, 'a')).toContain(p)
        }
        expect(nums(now, 'a').length).toBeLessThanOrEqual(share)
      }
    }
  })
})
