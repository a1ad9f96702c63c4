import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { CopartitionedAssignor, type CopartitionedAssignorOptions } from '../../src/transport/assignor.ts'
import { decodeClientMetadata } from '../../src/transport/assignor-metadata.ts'
import { checkInvariants, isChangelog, nums, SimGroup, topics } from './assignor-sim.ts'

describe('CopartitionedAssignor standbys', () => {
  const options = (): CopartitionedAssignorOptions => ({ standbys: 1, standbyTopics: isChangelog })

  it('gives each changelog partition a standby on another member, and fetches it', () => {
    const ppt = topics({ src: 4, 'app-t-changelog': 4 })
    const group = new SimGroup(ppt, options).join('m1').join('m2')
    const result = group.rebalance()
    checkInvariants(result, ppt)
    const m1 = result.get('m1')!
    const m2 = result.get('m2')!
    expect(nums(m1.standbys, 'app-t-changelog')).toEqual(nums(m2.actives, 'app-t-changelog'))
    expect(nums(m2.standbys, 'app-t-changelog')).toEqual(nums(m1.actives, 'app-t-changelog'))
    // Only changelog standbys are fetched; the Kafka-level list is actives + changelog standbys.
    expect(nums(m1.standbys, 'src')).toEqual([])
    const partitions = group.last.get('m1')!.partitions
    expect(partitions).toHaveLength(m1.actives.length + m1.standbys.length)
    expect(nums(partitions, 'src')).toEqual(nums(m1.actives, 'src'))
    expect(nums(partitions, 'app-t-changelog')).toEqual([0, 1, 2, 3])
  })

  it('gives exactly the requested number of standbys, never on the active holder', () => {
    const ppt = topics({ 't-changelog': 6 })
    const group = new SimGroup(ppt, () => ({ standbys: 2, standbyTopics: isChangelog }))
    const result = group.join('m1').join('m2').join('m3').join('m4').rebalance()
    checkInvariants(result, ppt)
    for (let p = 0; p < 6; p++) {
      const holders = [...result.values()].filter((a) => nums(a.standbys, 't-changelog').includes(p))
      expect(holders).toHaveLength(2)
    }
    const counts = [...result.values()].map((a) => a.standbys.length)
    expect(Math.max(...counts)).toBeLessThanOrEqual(3)
  })

  it('caps standbys at members - 1', () => {
    const ppt = topics({ 't-changelog': 3 })
    const one = new SimGroup(ppt, () => ({ standbys: 3, standbyTopics: isChangelog })).join('m1').rebalance()
    expect(one.get('m1')!.standbys).toEqual([])
    const two = new SimGroup(ppt, () => ({ standbys: 3, standbyTopics: isChangelog })).join('m1').join('m2').rebalance()
    expect(two.get('m1')!.standbys.length + two.get('m2')!.standbys.length).toBe(3)
  })

  it('gives no standbys to groups without standby topics', () => {
    const result = new SimGroup(topics({ src: 4 }), options).join('m1').join('m2').rebalance()
    for (const a of result.values()) expect(a.standbys).toEqual([])
  })

  it('promotes the standby holder when an active holder leaves', () => {
    const ppt = topics({ src: 6, 'app-t-changelog': 6 })
    const group = new SimGroup(ppt, options).join('m1').join('m2').join('m3')
    const before = group.rebalance()
    const lost = nums(before.get('m2')!.actives, 'src')
    const after = group.leave('m2').rebalance()
    checkInvariants(after, ppt)
    for (const p of lost) {
      const standbyHolder = [...before].find(([, a]) => nums(a.standbys, 'app-t-changelog').includes(p))![0]
      expect(nums(after.get(standbyHolder)!.actives, 'src')).toContain(p)
    }
  })

  it('keeps standbys sticky and prefers the previous active holder for a new standby', () => {
    const ppt = topics({ 't-changelog': 4 })
    const group = new SimGroup(ppt, options).join('m1').join('m2')
    group.rebalance()
    const before = group.rebalance()
    const after = group.join('m3').rebalance()
    checkInvariants(after, ppt)
    for (let p = 0; p < 4; p++) {
      const newHolder = [...after].find(([, a]) => nums(a.standbys, 't-changelog').includes(p))![0]
      const previousActive = [...before].find(([, a]) => nums(a.actives, 't-changelog').includes(p))![0]
      const previousStandby = [...before].find(([, a]) => nums(a.standbys, 't-changelog').includes(p))![0]
      const activeNow = [...after].find(([, a]) => nums(a.actives, 't-changelog').includes(p))![0]
      // The new standby is someone who already has the state, unless that member is now the active holder.
      if (activeNow !== previousStandby && activeNow !== previousActive) {
        expect([previousStandby, previousActive]).toContain(newHolder)
      }
    }
  })

  it('gives global topics in full to every member', () => {
    const ppt = topics({ 'g-changelog': 3, src: 3 })
    const group = new SimGroup(ppt, () => ({ globalTopics: (t) => t === 'g-changelog' }))
    const result = group.join('m1').join('m2').rebalance()
    for (const [id, a] of result) {
      const all = [...nums(a.actives, 'g-changelog'), ...nums(a.standbys, 'g-changelog')].sort()
      expect(all, id).toEqual([0, 1, 2])
      expect(nums(group.last.get(id)!.partitions, 'g-changelog')).toEqual([0, 1, 2])
      expect(nums(a.standbys, 'src')).toEqual([])
    }
  })
})

describe('CopartitionedAssignor user data (Faust ClientMetadata)', () => {
  it('subscribes with compact JSON of the last assignment and its url', () => {
    const group = new SimGroup(topics({ a: 2 }), (id) => ({ url: `http://${id}:6066` })).join('m1')
    group.rebalance()
    const raw = group.members.get('m1')!.assignor.subscriptionUserData(['a'])!
    expect(raw.toString()).toMatch(/^\{"assignment":\{"actives":\{"a":\[0,1\]\},"standbys":\{\}\}/)
    const parsed = JSON.parse(raw.toString())
    expect(parsed.url).toBe('http://m1:6066')
    expect(parsed).toHaveProperty('changelog_distribution')
    expect(parsed).toHaveProperty('topic_groups')
  })

  it('starts with an empty assignment', () => {
    const raw = new CopartitionedAssignor({ url: 'http://x' }).subscriptionUserData(['a'])!
    expect(JSON.parse(raw.toString()).assignment).toEqual({ actives: {}, standbys: {} })
  })

  it('sends each member zlib JSON with its own url, the changelog distribution and topic groups', () => {
    const ppt = topics({ src: 2, 'app-t-changelog': 2, big: 8 })
    const group = new SimGroup(ppt, (id) => ({ url: `http://${id}`, standbys: 1, standbyTopics: isChangelog }))
    group.join('m1').join('m2').rebalance()
    const userData = group.last.get('m2')!.userData!
    const json = JSON.parse(inflateSync(userData).toString())
    expect(json.url).toBe('http://m2')
    expect(json.topic_groups).toEqual({ src: 0, 'app-t-changelog': 0, big: 1 })
    expect(Object.keys(json.changelog_distribution).sort()).toEqual(['http://m1', 'http://m2'])
    expect(json.changelog_distribution['http://m2']).toEqual({
      'app-t-changelog': nums(group.members.get('m2')!.assignment.actives, 'app-t-changelog'),
    })
    expect(decodeClientMetadata(userData)).toEqual(json)
  })

  it("lists Kafka partitions as a Python follower rebuilds them from the JSON (Faust's kafka_protocol_assignment)", () => {
    const ppt = topics({ src: 4, 'app-t-changelog': 4, other: 3 })
    const group = new SimGroup(ppt, () => ({ standbys: 1, standbyTopics: isChangelog }))
    group.join('m1').join('m2').join('m3').rebalance()
    for (const [id, given] of group.last) {
      const json = JSON.parse(inflateSync(given.userData!).toString())
      const rebuilt: Record<string, number[]> = structuredClone(json.assignment.actives)
      for (const [topic, partitions] of Object.entries<number[]>(json.assignment.standbys)) {
        if (isChangelog(topic)) (rebuilt[topic] ??= []).push(...partitions)
      }
      const wire: Record<string, number[]> = {}
      for (const tp of given.partitions) (wire[tp.topic] ??= []).push(tp.partition)
      expect(wire, id).toEqual(rebuilt)
      for (const list of [...Object.values(json.assignment.actives), ...Object.values(json.assignment.standbys)]) {
        expect(list).not.toEqual([])
      }
    }
  })

  it('treats an assignment without user data as all active', () => {
    const assignor = new CopartitionedAssignor()
    const partitions = [
      { topic: 'b', partition: 1 },
      { topic: 'a', partition: 0 },
    ]
    expect(assignor.decodeAssignment(partitions, null)).toEqual({
      actives: [
        { topic: 'a', partition: 0 },
        { topic: 'b', partition: 1 },
      ],
      standbys: [],
    })
    expect(JSON.parse(assignor.subscriptionUserData(['a'])!.toString()).assignment.actives).toEqual({ a: [0], b: [1] })
  })

  it('survives unreadable user data', () => {
    const result = new CopartitionedAssignor().assign({
      members: [{ memberId: 'm1', topics: ['a'], userData: Buffer.from([1, 2, 3]) }],
      partitionsPerTopic: topics({ a: 1 }),
    })
    expect(result.get('m1')!.partitions).toEqual([{ topic: 'a', partition: 0 }])
  })
})
