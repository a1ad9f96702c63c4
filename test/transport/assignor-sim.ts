/** A simulated consumer group for assignor tests, and the invariants every assignment must keep. */
import { expect } from 'vitest'
import { CopartitionedAssignor, type CopartitionedAssignorOptions } from '../../src/transport/assignor.ts'
import type { Assignment, MemberAssignment, TopicPartition } from '../../src/transport/types.ts'

/** A consumer group run in memory: each member has its own assignor, the first member (by id) leads. */
export class SimGroup {
  readonly members = new Map<string, { assignor: CopartitionedAssignor; topics: string[]; assignment: Assignment }>()
  last = new Map<string, MemberAssignment>()

  constructor(
    readonly partitionsPerTopic: Map<string, number>,
    readonly options: (id: string) => CopartitionedAssignorOptions = () => ({}),
  ) {}

  join(id: string, topics = [...this.partitionsPerTopic.keys()]): this {
    this.members.set(id, { assignor: new CopartitionedAssignor(this.options(id)), topics, assignment: empty() })
    return this
  }

  leave(id: string): this {
    this.members.delete(id)
    return this
  }

  rebalance(): Map<string, Assignment> {
    const ids = [...this.members.keys()].sort()
    const leader = this.members.get(ids[0])!.assignor
    const input = [...this.members].map(([memberId, m]) => ({
      memberId,
      topics: m.topics,
      userData: m.assignor.subscriptionUserData(m.topics),
    }))
    this.last = leader.assign({ members: input, partitionsPerTopic: this.partitionsPerTopic })
    const out = new Map<string, Assignment>()
    for (const [id, m] of this.members) {
      const given = this.last.get(id)!
      m.assignment = m.assignor.decodeAssignment(given.partitions, given.userData)
      out.set(id, m.assignment)
    }
    return out
  }
}

export function empty(): Assignment {
  return { actives: [], standbys: [] }
}

export function topics(spec: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(spec))
}

/** Partition numbers of `topic` in a list. */
export function nums(tps: TopicPartition[], topic: string): number[] {
  return tps
    .filter((tp) => tp.topic === topic)
    .map((tp) => tp.partition)
    .sort((a, b) => a - b)
}

export const isChangelog = (topic: string) => topic.endsWith('-changelog')

/** Every partition of every topic active exactly once; co-partitioned; shares differ by at most one per topic. */
export function checkInvariants(result: Map<string, Assignment>, partitionsPerTopic: Map<string, number>): void {
  for (const [topic, count] of partitionsPerTopic) {
    const owners = new Map<number, string>()
    const shares: number[] = []
    for (const [id, a] of result) {
      const mine = nums(a.actives, topic)
      for (const p of mine) {
        expect(owners.has(p), `${topic}/${p} assigned twice`).toBe(false)
        owners.set(p, id)
      }
      shares.push(mine.length)
      const standbys = nums(a.standbys, topic)
      for (const p of standbys) expect(mine).not.toContain(p)
    }
    expect(owners.size, `all partitions of ${topic} assigned`).toBe(count)
    expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1)
  }
  // Topics of equal partition count move together.
  for (const a of result.values()) {
    const byCount = new Map<number, string>()
    for (const [topic, count] of partitionsPerTopic) {
      const first = byCount.get(count)
      if (first === undefined) byCount.set(count, topic)
      else expect(nums(a.actives, topic)).toEqual(nums(a.actives, first))
    }
  }
}
