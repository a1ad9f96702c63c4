import type { Event, ReplyRequest } from './event.ts'
import type { EventSource } from './queue.ts'
import type { Stream } from './stream.ts'

/** A message to send through a channel or topic. */
export interface SendMessage<K = unknown, V = unknown> {
  key?: K
  value: V
  partition?: number
  headers?: Record<string, Buffer | string>
  timestamp?: number
  /** Set when the sender wants the agent's result as a reply (ask, send with replyTo). */
  request?: ReplyRequest
}

/** Something a stream can forward events to (a channel, a topic, an agent). */
export interface SendTarget<V = unknown, K = unknown> {
  send(message: SendMessage<K, V>): Promise<unknown>
  /** Sends without waiting for delivery, where the target can (topics); a promise only for backpressure. */
  forward?(message: SendMessage<K, V>): Promise<void> | undefined
}

/** Sends through `forward` when the target has it, else `send`. */
export function forwardTo<V, K>(target: SendTarget<V, K>, message: SendMessage<K, V>): Promise<unknown> | undefined {
  return target.forward ? target.forward(message) : target.send(message)
}

/** A channel a stream can also read from (needed by `through` and `groupBy`). */
export interface StreamChannel<V = unknown, K = unknown> extends SendTarget<V, K> {
  readonly name: string
  stream(): Stream<V, K>
}

/** What a stream needs from its app, injected so streams do not depend on channels or the app. */
export interface StreamContext {
  /** A topic derived from `source` as Faust names it: `${prefix}${source}${suffix}`, created by the app. */
  deriveTopic(source: string, options: { prefix: string; suffix: string; partitions?: number }): StreamChannel
  /** A windowed stream–stream join over two topic streams, its state in changelogged tables of the app. */
  joinStreams?(request: StreamJoinRequest): EventSource<unknown, unknown>
  /** The partition count of a topic the app knows, for co-partitioning checks. */
  partitionsOf?(channelName: string): number | undefined
}

/** A record field descriptor (`Add.fields.a`), as models export them. */
export interface FieldDescriptor {
  readonly name: string
  /** `Model.field`, used in repartition topic names. */
  readonly qualifiedName: string
}

export type GroupByKey<V> = FieldDescriptor | ((value: V) => unknown | Promise<unknown>)

/** The kinds of a windowed stream–stream join. */
export type StreamJoinKind = 'inner' | 'left' | 'outer'

/** How a side of a stream–stream join finds its join key: a record field, or a function of the value. */
export type JoinKeySelector<V> = FieldDescriptor | ((value: V) => unknown)

/** Options of a windowed stream–stream join (`left.join(right, options)`). */
export interface StreamJoinOptions<L, R, O, K = unknown> {
  /**
   * Names the join's state: tables `{name}-left`, `{name}-right`, `{name}-outer` (changelogs
   * `{appId}-{name}-left-changelog`...). Default `{left topic}-{right topic}-join`. Keep it when redeploying.
   */
  name?: string
  /** Symmetric window: records join when their times differ by at most `within` ms. */
  within?: number
  /** A right record joins a left one at time t from t - before ... */
  before?: number
  /** ... to t + after (ms). Default `within`. */
  after?: number
  /** How long (ms) after a window's end out-of-order records are still joined; later ones are dropped. Default 0. */
  grace?: number
  /**
   * The join key: default each side's message key. A field or function (one for both sides, or `{ left, right }`)
   * joins on a value instead; the streams must then already be partitioned by it (groupBy first), unless their
   * topics have one partition.
   */
  on?: JoinKeySelector<L & R> | { left: JoinKeySelector<L>; right: JoinKeySelector<R> }
  /** The result of a match, or of an unmatched record in a left/outer join (the missing side null). */
  joiner?: (left: L, right: R, key: K) => O
}

/** What a stream needs to run a stream–stream join: its app declares the join's state. */
export interface StreamJoinRequest {
  kind: StreamJoinKind
  left: { source: EventSource<any, any>; channelName: string | undefined }
  right: { source: EventSource<any, any>; channelName: string | undefined }
  options: StreamJoinOptions<any, any, any, any>
}

export interface StreamOptions {
  /** Name of the channel the stream reads (the source topic for derived topic names). */
  channelName?: string
  /** Prefix of derived topic names (the agent name, as Faust). */
  prefix?: string
  context?: StreamContext
  /** Set for agent actors when concurrency > 1: such streams may not repartition. */
  concurrencyIndex?: number
  /** When aborted, iteration ends at the next step (used to restart actors). */
  signal?: AbortSignal
  /**
   * Whether leaving the loop early (break, or an error thrown through it) acks the current event. Agent actors
   * turn this off: they ack it themselves after applying the error policy, so a failing event is not committed
   * before it reached its dead-letter topic.
   */
  ackOnReturn?: boolean
  /**
   * Called with each event this stream, or a stream derived from it (groupBy, through), hands out: agent actors
   * track the event being processed with it (Faust's `current_event()`, which tables write at). Set only when needed.
   */
  onDeliver?: (event: Event<any, any>) => void
  /**
   * Hears the processing time (seconds, from hand-out to the next read) of a sample of the events this stream hands
   * out (the first, then one in 32): agents feed their latency histogram with it.
   */
  onSample?: (seconds: number) => void
}
