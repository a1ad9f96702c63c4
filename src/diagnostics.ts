/**
 * Faustus' instrumentation points, as `node:diagnostics_channel` channels (the way @platformatic/kafka and Node's
 * own http/undici publish theirs). Metrics, logs, the dashboard and user code subscribe to the same events:
 *
 *   import { subscribe } from 'node:diagnostics_channel'
 *   subscribe('faustus:commit', (message) => console.log(message))
 *
 * Every publisher checks `channel.hasSubscribers` first, so the hot path pays one property read when nobody
 * listens. Events are per batch or per operation, never per record (except sampled processing times).
 * The `app` field is the app id, so one process hosting several apps can tell them apart.
 */
import { channel } from 'node:diagnostics_channel'
import type { ConsumedRecord, TopicPartition, TopicPartitionOffset } from './transport/types.ts'

/** A batch of records handed by the group consumer to the conductor. */
export interface FetchMessage {
  app: string
  records: readonly ConsumedRecord[]
}

/** A sampled processing time of one event in an agent (from hand-out to the agent's next read). */
export interface ProcessMessage {
  app: string
  agent: string
  seconds: number
}

/** A checkpoint ran (flush outputs, make stores durable, commit offsets). */
export interface CheckpointMessage {
  app: string
  seconds: number
  error?: unknown
}

/** Offsets were committed to the group. */
export interface CommitMessage {
  app: string
  offsets: readonly TopicPartitionOffset[]
  seconds: number
}

/** A rebalance began (partitions revoked or first join) or ended (the new assignment is handled, tables recovered). */
export interface RebalanceMessage {
  app: string
  phase: 'start' | 'end'
  /** On `end`: the new assignment. */
  actives?: readonly TopicPartition[]
  standbys?: readonly TopicPartition[]
  /** On `end`: time since `start`. */
  seconds?: number
}

/** Changelog recovery of one table partition: `start` with the range, `progress` per applied run, `end`. */
export interface RecoveryMessage {
  app: string
  phase: 'start' | 'progress' | 'end'
  table: string
  topic: string
  partition: number
  /** Records applied so far / to apply in total for this partition. */
  done: number
  total: number
}

/** An error handled without stopping the app: an agent raised, a record could not be decoded. */
export interface ErrorMessage {
  app: string
  code: string
  message: string
  agent?: string
  topic?: string
  partition?: number
  offset?: number
  /** The record went to a dead-letter topic. */
  deadLetter?: string
}

/** An ask got its reply (or timed out). */
export interface AskMessage {
  app: string
  agent: string
  seconds: number
  error?: unknown
}

/** An update to a window already closed (its end + grace passed the partition's stream time) was dropped. */
export interface LateEventMessage {
  app: string
  table: string
  partition: number
  key: unknown
  /** The closed window, `[start, end]` in ms. */
  window: [number, number]
  /** The event's time and the partition's stream time, ms. */
  timestamp: number
  streamTime: number
}

/** Exactly-once: a failed checkpoint's transaction was aborted and the worker reads again from the committed offsets. */
export interface RewindMessage {
  app: string
  /** Why the checkpoint failed. */
  error: unknown
  /** `start` when the rewind begins, `end` once records flow again from the committed offsets. */
  phase: 'start' | 'end'
  attempts?: number
  seconds?: number
  /** At `end`: `seek` (the member stayed in the group) or `rejoin` (its membership was lost). */
  method?: 'seek' | 'rejoin'
}

export const channels = {
  fetch: channel('faustus:fetch'),
  process: channel('faustus:process'),
  checkpoint: channel('faustus:checkpoint'),
  commit: channel('faustus:commit'),
  rebalance: channel('faustus:rebalance'),
  recovery: channel('faustus:recovery'),
  error: channel('faustus:error'),
  ask: channel('faustus:ask'),
  late: channel('faustus:late'),
  rewind: channel('faustus:rewind'),
} as const

export type ChannelName = keyof typeof channels

/** Every channel's name (`faustus:<key>`), for documentation and tests. */
export const CHANNEL_NAMES = Object.fromEntries(Object.keys(channels).map((key) => [key, `faustus:${key}`])) as Record<
  ChannelName,
  string
>

/** Seconds since `start` (a `performance.now()` reading). */
export function since(start: number): number {
  return (performance.now() - start) / 1000
}

/** Publishes a checkpoint's duration (and failure) when it settles; returns the same promise. */
export function observeCheckpoint(app: string, checkpoint: Promise<void>): Promise<void> {
  if (!channels.checkpoint.hasSubscribers) return checkpoint
  const started = performance.now()
  return checkpoint.then(
    () => channels.checkpoint.publish({ app, seconds: since(started) } satisfies CheckpointMessage),
    (error) => {
      channels.checkpoint.publish({ app, seconds: since(started), error } satisfies CheckpointMessage)
      throw error
    },
  )
}
