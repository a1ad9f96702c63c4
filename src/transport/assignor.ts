/**
 * The default group protocol: Faust's co-partitioning assignor (protocol `faust`, version 4), run by the group
 * leader on every transport so memory and Kafka assign alike.
 *
 * Subscribed topics are grouped by partition count and subscribers; partition N of every topic in a group goes to
 * the same member (see `copartitioned.ts` for balance, stickiness and standby promotion). Previous assignments travel
 * in the members' subscription user data (`assignor-metadata.ts`), so an instance belongs to one consumer: it
 * remembers the last assignment it decoded and announces it at the next rebalance.
 */
import {
  type ClientAssignment,
  type ClientMetadata,
  decodeClientMetadata,
  emptyClientMetadata,
  encodeAssignmentMetadata,
  encodeSubscriptionMetadata,
  type TopicPartitionsMap,
  toTopicPartitions,
  toTopicPartitionsMap,
} from './assignor-metadata.ts'
import { assignCopartitioned, type CopartitionedMember } from './copartitioned.ts'
import {
  type Assignment,
  type Assignor,
  type GroupMember,
  type MemberAssignment,
  type TopicPartition,
  tpKey,
} from './types.ts'

export interface CopartitionedAssignorOptions {
  /** Standby copies per partition of the standby topics (Faust `table_standby_replicas`). Default 0. */
  standbys?: number
  /** Topics whose standby partitions members fetch (tables' changelog topics). Default: none. */
  standbyTopics?: (topic: string) => boolean
  /** Topics every member follows in full (global tables' changelogs): all partitions not active are standbys. */
  globalTopics?: (topic: string) => boolean
  /**
   * Tables' changelog topics: where their keys live goes to every member in `changelog_distribution` (Faust routes
   * table lookups by it), standbys or not. Default: the standby and global topics.
   */
  changelogTopics?: (topic: string) => boolean
  /** This member's web url, announced to the group (Faust routes table lookups by it). Default ''. */
  url?: string
}

const NONE = () => false

interface TopicGroup {
  partitions: number
  topics: string[]
  /** Subscribed member ids, sorted. */
  members: string[]
}

export class CopartitionedAssignor implements Assignor {
  readonly name = 'faust'
  readonly version = 4
  readonly #replicas: number
  readonly #standbyTopics: (topic: string) => boolean
  readonly #globalTopics: (topic: string) => boolean
  readonly #url: string
  readonly #changelogTopics: ((topic: string) => boolean) | undefined
  #metadata: ClientMetadata

  constructor(options: CopartitionedAssignorOptions = {}) {
    this.#replicas = Math.max(0, Math.floor(options.standbys ?? 0))
    this.#standbyTopics = options.standbyTopics ?? NONE
    this.#globalTopics = options.globalTopics ?? NONE
    this.#url = options.url ?? ''
    this.#changelogTopics = options.changelogTopics
    this.#metadata = emptyClientMetadata(this.#url)
  }

  /** What this member last received (assignment, changelog distribution, topic groups). */
  get metadata(): ClientMetadata {
    return this.#metadata
  }

  subscriptionUserData(_topics: string[]): Buffer | null {
    return encodeSubscriptionMetadata({ ...this.#metadata, url: this.#url })
  }

  assign(input: { members: GroupMember[]; partitionsPerTopic: Map<string, number> }): Map<string, MemberAssignment> {
    const members = [...input.members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0))
    const previous = new Map(
      members.map((m) => [m.memberId, decodeClientMetadata(m.userData) ?? emptyClientMetadata()]),
    )
    const assignments = new Map<string, ClientAssignment>(
      members.map((m) => [m.memberId, { actives: {}, standbys: {} }]),
    )
    const groups = topicGroups(members, input.partitionsPerTopic)
    const load = new Map<string, number>(members.map((m) => [m.memberId, 0]))

    for (const group of groups) {
      const replicas = group.topics.some(this.#standbyTopics) ? this.#replicas : 0
      const result = assignCopartitioned({
        partitions: group.partitions,
        replicas,
        members: group.members.map((id): CopartitionedMember => {
          const before = previous.get(id)!.assignment
          return {
            id,
            previousActives: colocated(before.actives, group.topics),
            previousStandbys: colocated(before.standbys, group.topics),
            load: load.get(id)!,
          }
        }),
      })
      for (const id of group.members) {
        const target = assignments.get(id)!
        const actives = result.actives.get(id)!
        const standbys = result.standbys.get(id)!
        // Empty lists are left out: a Python follower rebuilds the Kafka-level list from this JSON and compares.
        for (const topic of group.topics) {
          if (actives.length > 0) target.actives[topic] = actives
          if (standbys.length > 0) target.standbys[topic] = standbys
        }
        load.set(id, load.get(id)! + actives.length)
      }
    }
    this.#addGlobalStandbys(groups, assignments)
    return this.#protocolAssignments(members, previous, assignments, groups)
  }

  decodeAssignment(partitions: TopicPartition[], userData: Buffer | null): Assignment {
    const metadata = decodeClientMetadata(userData)
    if (metadata === null) {
      // Not ours (or no user data): everything fetched is active.
      const actives = [...partitions].sort(compareTp)
      this.#metadata = {
        ...emptyClientMetadata(this.#url),
        assignment: { actives: toTopicPartitionsMap(actives), standbys: {} },
      }
      return { actives, standbys: [] }
    }
    this.#metadata = metadata
    // Faust lists standbys of every co-partitioned topic; only those the member fetches (changelogs) count here.
    const fetched = new Set(partitions.map(tpKey))
    const actives = toTopicPartitions(metadata.assignment.actives).filter((tp) => fetched.has(tpKey(tp)))
    const activeKeys = new Set(actives.map(tpKey))
    const standbys = toTopicPartitions(metadata.assignment.standbys).filter(
      (tp) => fetched.has(tpKey(tp)) && !activeKeys.has(tpKey(tp)),
    )
    return { actives, standbys }
  }

  #addGlobalStandbys(groups: TopicGroup[], assignments: Map<string, ClientAssignment>): void {
    for (const group of groups) {
      for (const topic of group.topics) {
        if (!this.#globalTopics(topic)) continue
        for (const id of group.members) {
          const target = assignments.get(id)!
          const active = new Set(target.actives[topic])
          const standbys = range(group.partitions).filter((p) => !active.has(p))
          if (standbys.length > 0) target.standbys[topic] = standbys
          else delete target.standbys[topic]
        }
      }
    }
  }

  #protocolAssignments(
    members: GroupMember[],
    previous: Map<string, ClientMetadata>,
    assignments: Map<string, ClientAssignment>,
    groups: TopicGroup[],
  ): Map<string, MemberAssignment> {
    const fetchesStandbys = (topic: string) => this.#standbyTopics(topic) || this.#globalTopics(topic)
    const isChangelog = this.#changelogTopics ?? fetchesStandbys
    const topicGroupIds = topicGroupNumbers(groups)
    const distribution: Record<string, TopicPartitionsMap> = {}
    for (const m of members) {
      const actives = assignments.get(m.memberId)!.actives
      const changelogs = Object.keys(actives).filter(isChangelog)
      distribution[previous.get(m.memberId)!.url] = Object.fromEntries(changelogs.map((t) => [t, actives[t]]))
    }
    const out = new Map<string, MemberAssignment>()
    for (const m of members) {
      const assignment = assignments.get(m.memberId)!
      const partitions = kafkaPartitions(assignment, fetchesStandbys)
      const userData = encodeAssignmentMetadata({
        assignment,
        url: previous.get(m.memberId)!.url,
        changelog_distribution: distribution,
        topic_groups: topicGroupIds,
      })
      out.set(m.memberId, { partitions, userData })
    }
    return out
  }
}

/** Co-partitioned groups: same partition count and same subscribers; missing topics are skipped, as Faust does. */
function topicGroups(members: GroupMember[], partitionsPerTopic: Map<string, number>): TopicGroup[] {
  const subscribers = new Map<string, string[]>()
  for (const m of members) {
    for (const topic of new Set(m.topics)) {
      const list = subscribers.get(topic)
      if (list) list.push(m.memberId)
      else subscribers.set(topic, [m.memberId])
    }
  }
  const byKey = new Map<string, TopicGroup>()
  for (const topic of [...subscribers.keys()].sort()) {
    const partitions = partitionsPerTopic.get(topic) ?? 0
    if (partitions <= 0) continue
    const ids = subscribers.get(topic)!
    const key = `${partitions}\u0000${ids.join('\u0000')}`
    const group = byKey.get(key)
    if (group) group.topics.push(topic)
    else byKey.set(key, { partitions, topics: [topic], members: ids })
  }
  return [...byKey.values()].sort((a, b) => a.partitions - b.partitions || compareStrings(a.topics[0], b.topics[0]))
}

/** Faust numbers groups by ascending partition count; groups of equal count share a number. */
function topicGroupNumbers(groups: TopicGroup[]): Record<string, number> {
  const counts = [...new Set(groups.map((g) => g.partitions))].sort((a, b) => a - b)
  const numbers: Record<string, number> = {}
  for (const group of groups) for (const topic of group.topics) numbers[topic] = counts.indexOf(group.partitions)
  return numbers
}

/** Partition numbers a member held in any topic of the group (a group's topics move together). */
function colocated(map: TopicPartitionsMap, topics: string[]): Set<number> {
  const out = new Set<number>()
  for (const topic of topics) for (const p of map[topic] ?? []) out.add(p)
  return out
}

/**
 * The Kafka-level partitions: per topic (ascending), the actives then the fetched standbys, each ascending. This is
 * the order of Faust's `kafka_protocol_assignment`, which a Python follower compares with what it received.
 */
function kafkaPartitions(assignment: ClientAssignment, fetchesStandbys: (topic: string) => boolean): TopicPartition[] {
  const topics = new Set([
    ...Object.keys(assignment.actives),
    ...Object.keys(assignment.standbys).filter(fetchesStandbys),
  ])
  const out: TopicPartition[] = []
  for (const topic of [...topics].sort(compareStrings)) {
    const actives = assignment.actives[topic] ?? []
    const active = new Set(actives)
    const standbys = fetchesStandbys(topic) ? (assignment.standbys[topic] ?? []).filter((p) => !active.has(p)) : []
    for (const partition of [...actives, ...standbys]) out.push({ topic, partition })
  }
  return out
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function compareTp(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition
}
