/**
 * The user data of Faust's group protocol (`faust`, version 4): the ClientMetadata record of faust-streaming's
 * `faust/assignor/client_assignment.py`, so Faustus and Python Faust members understand each other.
 *
 *   {"assignment": {"actives": {topic: [partition, ...]}, "standbys": {topic: [partition, ...]}},
 *    "url": "<member web url>",
 *    "changelog_distribution": {url: {topic: [partition, ...]}},
 *    "topic_groups": {topic: group number}}
 *
 * Subscription user data (member -> leader) is that JSON, compact and uncompressed; assignment user data
 * (leader -> member) is the same JSON zlib-compressed, with `url` = the recipient's own url.
 */
import { deflateSync, inflateSync } from 'node:zlib'
import type { TopicPartition } from './types.ts'

/** topic -> partitions (Faust's TopicToPartitionMap). */
export type TopicPartitionsMap = Record<string, number[]>

export interface ClientAssignment {
  actives: TopicPartitionsMap
  standbys: TopicPartitionsMap
}

export interface ClientMetadata {
  assignment: ClientAssignment
  url: string
  /** url -> the changelog partitions that member holds as actives (where table keys live). */
  changelog_distribution: Record<string, TopicPartitionsMap>
  /** topic -> co-partitioned group number, ascending by partition count. */
  topic_groups: Record<string, number>
}

export function emptyClientMetadata(url = ''): ClientMetadata {
  return { assignment: { actives: {}, standbys: {} }, url, changelog_distribution: {}, topic_groups: {} }
}

export function encodeSubscriptionMetadata(metadata: ClientMetadata): Buffer {
  return Buffer.from(JSON.stringify(metadata))
}

export function encodeAssignmentMetadata(metadata: ClientMetadata): Buffer {
  return deflateSync(JSON.stringify(metadata))
}

const OPEN_BRACE = 0x7b

/**
 * Reads either form (plain JSON or zlib JSON). Returns null for absent or unreadable data: an assignor treats such a
 * member as having no previous assignment rather than failing the whole group.
 */
export function decodeClientMetadata(data: Buffer | null): ClientMetadata | null {
  if (data === null || data.length === 0) return null
  try {
    const json = data[0] === OPEN_BRACE ? data.toString('utf8') : inflateSync(data).toString('utf8')
    return normalize(JSON.parse(json))
  } catch {
    return null
  }
}

function normalize(raw: unknown): ClientMetadata | null {
  if (!isObject(raw)) return null
  const assignment = isObject(raw.assignment) ? raw.assignment : {}
  return {
    assignment: { actives: partitionsMap(assignment.actives), standbys: partitionsMap(assignment.standbys) },
    url: typeof raw.url === 'string' ? raw.url : '',
    changelog_distribution: isObject(raw.changelog_distribution)
      ? Object.fromEntries(Object.entries(raw.changelog_distribution).map(([url, map]) => [url, partitionsMap(map)]))
      : {},
    topic_groups: isObject(raw.topic_groups)
      ? Object.fromEntries(Object.entries(raw.topic_groups).filter(([, group]) => Number.isInteger(group)))
      : {},
  } as ClientMetadata
}

function partitionsMap(raw: unknown): TopicPartitionsMap {
  const map: TopicPartitionsMap = {}
  if (!isObject(raw)) return map
  for (const [topic, partitions] of Object.entries(raw)) {
    if (Array.isArray(partitions)) map[topic] = partitions.filter((p): p is number => Number.isInteger(p) && p >= 0)
  }
  return map
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Flattens a topic map, sorted by topic then partition. */
export function toTopicPartitions(map: TopicPartitionsMap): TopicPartition[] {
  const out: TopicPartition[] = []
  for (const topic of Object.keys(map).sort()) {
    for (const partition of [...new Set(map[topic])].sort((a, b) => a - b)) out.push({ topic, partition })
  }
  return out
}

export function toTopicPartitionsMap(partitions: readonly TopicPartition[]): TopicPartitionsMap {
  const map: TopicPartitionsMap = {}
  for (const { topic, partition } of partitions) (map[topic] ??= []).push(partition)
  for (const topic of Object.keys(map)) map[topic].sort((a, b) => a - b)
  return map
}
