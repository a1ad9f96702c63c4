import type { Logger } from '../logging.ts'
import type { Event, ReplyRequest } from '../streams/event.ts'
import type { SendTarget, StreamContext } from '../streams/types.ts'
import type { ReplyWaiter } from './replies.ts'
import type { Sink } from './sinks.ts'
import type { SupervisorOptions, SupervisorStrategy } from './supervisor.ts'

/** What to do with the event being processed when the agent function raises. */
export type AgentErrorPolicy = 'ack' | 'crash' | { deadLetter: string }

export interface AgentOptions<R> {
  /** Defaults to the function's name. The default topic is `{appId}-{name}`. */
  name?: string
  /** A description, shown by `faustus agents`. */
  help?: string
  /** Actors sharing the agent's stream (processing out of order). Tables are read-only when > 1. */
  concurrency?: number
  /** Where yielded values go besides replies. `NoInfer`: the result type comes from the function alone. */
  sink?: readonly Sink<R>[]
  supervisor?: SupervisorStrategy | SupervisorOptions
  /** Default `ack`: log the error, ack the event, restart the function (Faust's behaviour). */
  onError?: AgentErrorPolicy
  /** One actor per assigned partition, started and stopped with the assignment. */
  isolatedPartitions?: boolean
  /** Key and value types of the default topic (when no channel is given). */
  keyType?: string | object
  valueType?: string | object
}

/** What an agent needs from its app. */
export interface AgentHost {
  /** The app id, named in diagnostics messages. */
  readonly appId?: string
  readonly log: Logger
  readonly askTimeoutMs: number
  /** Default window of map/kvmap/join/kvjoin: requests sent whose result the caller has not taken yet. */
  readonly mapMaxInFlight: number
  /** Throws FST_APP_NOT_STARTED unless the app can send now (started, not stopped); `operation` names the call. */
  assertCanSend(operation: string): void
  readonly streamContext: StreamContext
  replyWaiter(): Promise<ReplyWaiter>
  sendReply(request: ReplyRequest, key: unknown, result: unknown): Promise<void>
  deadLetter(topic: string, agent: string, event: Event | undefined, error: unknown): Promise<void>
  crash(error: Error): void
  /** Partition-isolated agents hear about assignments through this; a revoke waits for them at most `waitMs`. */
  watchPartitions(
    topics: readonly string[],
    listener: {
      onAssigned(partitions: number[]): void
      onRevoked(partitions: number[], waitMs: number): Promise<void>
    },
  ): void
}

export interface SendOptions<K> {
  key?: K
  partition?: number
  headers?: Record<string, Buffer | string>
  timestamp?: number
}

export interface AgentSendMessage<V, K> extends SendOptions<K> {
  value: V
  /** Where the result goes: an agent, a topic, or a topic name. */
  replyTo?: SendTarget<any, any> | { name: string } | string
  correlationId?: string
}

export interface AskOptions<K> extends SendOptions<K> {
  /** Milliseconds before FST_ASK_TIMEOUT; default the app's `askTimeoutMs`. */
  timeout?: number
}
