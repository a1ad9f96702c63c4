import type { ReplyRequest } from './event.ts'
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
}

/** A record field descriptor (`Add.fields.a`), as models export them. */
export interface FieldDescriptor {
  readonly name: string
  /** `Model.field`, used in repartition topic names. */
  readonly qualifiedName: string
}

export type GroupByKey<V> = FieldDescriptor | ((value: V) => unknown | Promise<unknown>)
