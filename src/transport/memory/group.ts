/**
 * A consumer group of the memory broker: members, committed offsets, and the rebalance protocol.
 *
 * Rebalances are eager, as Kafka's classic protocol with Faust's assignor: every member's partitions are revoked
 * (after its batch in flight finishes, each `onRevoked` awaited, so members flush and commit), then the leader's
 * assignor assigns, every `onAssigned` is awaited, and only then do members fetch again, from committed offsets.
 * Rebalances run one at a time; membership changes during one are coalesced into the next.
 */

import { TransportError } from '../../errors.ts'
import type { Assignor, MemberAssignment, TopicPartition, TopicPartitionOffset } from '../types.ts'
import { tpKey } from '../types.ts'
import type { MemoryBroker } from './broker.ts'

/** What the group needs from a member (implemented by the memory consumer). */
export interface GroupMember {
  readonly memberId: string
  readonly topics: readonly string[]
  readonly assignor: Assignor
  /** Stops fetching, waits for the batch in flight, calls `onRevoked` and drops the assignment. */
  revoke(): Promise<void>
  /** Takes the new assignment (positions from committed offsets) and calls `onAssigned`; fetching stays stopped. */
  assign(given: MemberAssignment): Promise<void>
  /** Fetching may go on. */
  resume(): void
  /** The member broke (a handler threw): it is out of the group and must stop. */
  fail(error: unknown): void
}

const NO_ASSIGNMENT: MemberAssignment = { partitions: [], userData: null }

export class MemoryGroup {
  readonly id: string
  readonly #broker: MemoryBroker
  /** Joined members, in join order (the first is the leader). */
  readonly #members = new Set<GroupMember>()
  /** Members that asked to leave; revoked at the next rebalance, then dropped. */
  readonly #leaving = new Set<GroupMember>()
  readonly #committed = new Map<string, number>()
  #nextMemberId = 0
  #generation = 0
  /** Settles when the rebalance that will see the latest membership change has completed. */
  #pending: { promise: Promise<void>; resolve: () => void } | null = null
  #running = false

  constructor(id: string, broker: MemoryBroker) {
    this.id = id
    this.#broker = broker
  }

  get generation(): number {
    return this.#generation
  }

  /** Member ids sort in join order, so the assignor's id order is deterministic. */
  nextMemberId(): string {
    return `${this.id}-member-${String(++this.#nextMemberId).padStart(6, '0')}`
  }

  /** Whether a transactional offset commit of that member and generation is accepted (KIP-447 fencing). */
  acceptsGeneration(group: { generationId: number; memberId: string }): boolean {
    if (group.generationId !== this.#generation) return false
    for (const member of this.#members) if (member.memberId === group.memberId) return true
    return false
  }

  subscribes(topic: string): boolean {
    for (const member of this.#members) if (member.topics.includes(topic)) return true
    return false
  }

  /** Resolves once a rebalance including the member has completed (its `onAssigned` handled). */
  join(member: GroupMember): Promise<void> {
    this.#members.add(member)
    return this.requestRebalance()
  }

  /** Resolves once the member's partitions were revoked and given to the others. */
  leave(member: GroupMember): Promise<void> {
    if (!this.#members.delete(member)) return Promise.resolve()
    this.#leaving.add(member)
    return this.requestRebalance()
  }

  /** Drops a broken member without revoking (as a crashed worker: its uncommitted records are read again). */
  remove(member: GroupMember): Promise<void> {
    const known = this.#members.delete(member) || this.#leaving.delete(member)
    return known ? this.requestRebalance() : Promise.resolve()
  }

  /** The joined members' ids, in join order. */
  get memberIds(): string[] {
    return [...this.#members].map((member) => member.memberId)
  }

  /**
   * Breaks a member as kill -9 breaks a worker (for fault tests): its consumer stops with an FST_TRANSPORT error
   * and it is dropped without a revoke, so nothing is committed on its way out and the others read its uncommitted
   * records again.
   */
  breakMember(memberId: string): Promise<void> {
    const member = [...this.#members, ...this.#leaving].find((m) => m.memberId === memberId)
    if (member === undefined) return Promise.resolve()
    member.fail(new TransportError('FST_TRANSPORT', `member ${memberId} broken (kill -9)`))
    return this.remove(member)
  }

  commit(offsets: readonly TopicPartitionOffset[]): void {
    for (const o of offsets) this.#committed.set(tpKey(o), o.offset)
  }

  committed(tp: TopicPartition): number | undefined {
    return this.#committed.get(tpKey(tp))
  }

  /** Whether a rebalance is under way (tests wait on it instead of on time). */
  get rebalancing(): boolean {
    return this.#running
  }

  get active(): boolean {
    return this.#members.size > 0 || this.#leaving.size > 0
  }

  /** Drops every committed offset; returns the topics that had some. */
  forgetOffsets(): string[] {
    const topics = new Set([...this.#committed.keys()].map((key) => key.split('\u0000')[0]))
    this.#committed.clear()
    return [...topics].sort()
  }

  requestRebalance(): Promise<void> {
    if (this.#pending === null) {
      let resolve!: () => void
      const promise = new Promise<void>((r) => {
        resolve = r
      })
      this.#pending = { promise, resolve }
    }
    const { promise } = this.#pending
    if (!this.#running) void this.#drive()
    return promise
  }

  async #drive(): Promise<void> {
    this.#running = true
    try {
      while (this.#pending !== null) {
        const done = this.#pending
        this.#pending = null
        await this.#rebalance()
        done.resolve()
      }
    } finally {
      this.#running = false
    }
  }

  async #rebalance(): Promise<void> {
    const members = [...this.#members]
    const leaving = [...this.#leaving]
    this.#leaving.clear()

    // 1. Revoke everything (leavers included), each member after its batch in flight.
    await Promise.all([...members, ...leaving].map((m) => this.#guard(m, () => m.revoke())))
    // The new generation starts once every member revoked (and committed with the old one); a member that missed
    // it (removed, or a zombie) can no longer commit transactional offsets.
    this.#generation++
    const stillIn = members.filter((m) => this.#members.has(m))
    if (stillIn.length === 0) return

    // 2. Assign, by the first member's assignor (Kafka's group leader is the first to join).
    let assignments: Map<string, MemberAssignment>
    const leader = stillIn[0]
    try {
      assignments = leader.assignor.assign({
        members: stillIn.map((m) => ({
          memberId: m.memberId,
          topics: [...m.topics],
          userData: m.assignor.subscriptionUserData([...m.topics]),
        })),
        partitionsPerTopic: this.#partitionsPerTopic(stillIn),
      })
    } catch (error) {
      this.#fail(leader, error)
      return
    }
    await Promise.all(stillIn.map((m) => this.#guard(m, () => m.assign(assignments.get(m.memberId) ?? NO_ASSIGNMENT))))

    // 3. Fetch again, unless membership changed meanwhile (the next rebalance would revoke at once).
    if (this.#pending === null) for (const m of stillIn) if (this.#members.has(m)) m.resume()
  }

  #partitionsPerTopic(members: readonly GroupMember[]): Map<string, number> {
    const counts = new Map<string, number>()
    for (const member of members) {
      for (const name of member.topics) {
        const topic = this.#broker.topic(name)
        if (topic) counts.set(name, topic.partitions.length)
      }
    }
    return counts
  }

  async #guard(member: GroupMember, step: () => Promise<void>): Promise<void> {
    try {
      await step()
    } catch (error) {
      this.#fail(member, error)
    }
  }

  #fail(member: GroupMember, error: unknown): void {
    const known = this.#members.delete(member)
    this.#leaving.delete(member)
    member.fail(error)
    if (known) void this.requestRebalance()
  }
}
