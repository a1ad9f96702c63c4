import type { Logger } from '../logging.ts'
import { errorFields } from '../logging.ts'
import type { Event } from '../streams/event.ts'
import type { EventSource } from '../streams/queue.ts'
import { Stream, type StreamOptions } from '../streams/stream.ts'
import { type ActorContext, runInActor } from './context.ts'
import { type RestartPolicy, RestartsExhausted } from './supervisor.ts'

/** An agent's function: an async generator (its yields are results) or an async function. */
export type AgentFunction<V, K, R> = (stream: Stream<V, K>) => AsyncIterable<R> | Promise<void> | void

/** What an actor reports to its agent. */
export interface ActorOwner<R> {
  readonly name: string
  readonly log: Logger
  /** Handles one result (reply to the asker, then sinks). */
  emit(result: R, event: Event | undefined): Promise<void> | undefined
  /** Applies the error policy to the event being processed when the function raised. */
  onError(error: unknown, event: Event | undefined): Promise<void>
  /** Restarts exhausted or strategy `crashing`: the app must stop. */
  crash(error: unknown): void
  /** `one_for_all`: every sibling restarts too. */
  restartSiblings(except: Actor<any, any, any>): void
  /** The context to run the actor in (for tables), or undefined when none is needed. */
  actorContext?(actor: Actor<any, any, any>): ActorContext | undefined
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value != null && typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
}

/**
 * One running instance of an agent function over a shared source (concurrency N = N actors). When the function
 * raises, the event it was processing goes through the error policy and the function starts again over the same
 * source, so the stream goes on after the failing event.
 */
export class Actor<V, K, R> {
  #abort = new AbortController()
  #done: Promise<void> | undefined
  #stream: Stream<V, K> | undefined
  /** The last event handed out by the actor's stream or one derived from it (tracked only with a context). */
  #delivered: Event | undefined
  restarts = 0

  constructor(
    readonly index: number,
    readonly owner: ActorOwner<R>,
    readonly fn: AgentFunction<V, K, R>,
    readonly source: EventSource<K, V>,
    readonly streamOptions: StreamOptions,
    readonly policy: RestartPolicy,
  ) {}

  start(): void {
    if (this.#done !== undefined) return
    const context = this.owner.actorContext?.(this)
    this.#done = context === undefined ? this.#run() : runInActor(context, () => this.#run())
  }

  /** Resolves when the function has returned for good (its source ended, or the app crashed it). */
  get done(): Promise<void> {
    return this.#done ?? Promise.resolve()
  }

  /** The event being processed now. */
  get current(): Event | undefined {
    return this.#stream?.current
  }

  /** The event being processed, also through groupBy (Faust's `current_event()`); needs an actor context. */
  get delivered(): Event | undefined {
    return this.#delivered ?? this.#stream?.current
  }

  /** Ends the current run at its next step; the run loop starts the function again. */
  restart(): void {
    this.#abort.abort()
  }

  async #run(): Promise<void> {
    for (;;) {
      const signal = this.#abort.signal
      // The innermost event delivered (through groupBy too): what a failure or an early return leaves unacked.
      this.#delivered = undefined
      const onDeliver = (event: Event) => void (this.#delivered = event)
      const stream = new Stream<V, K>(this.source, { ...this.streamOptions, signal, ackOnReturn: false, onDeliver })
      this.#stream = stream
      let failure: unknown
      let failed = false
      try {
        const output = this.fn(stream)
        if (isAsyncIterable(output)) {
          for await (const result of output as AsyncIterable<R>) {
            const pending = this.owner.emit(result, stream.current)
            if (pending !== undefined) await pending
          }
        } else {
          await output
        }
      } catch (error) {
        failure = error
        failed = true
      }
      if (!failed) {
        // The function left its loop early or returned: what it was processing is done.
        stream.current?.ack()
        ;(this.#delivered as Event | undefined)?.ack()
        if (!signal.aborted) return
        this.#abort = new AbortController()
        continue
      }
      if (!(await this.#recover(failure, stream))) return
    }
  }

  /** Error policy, then the restart decision; false when the actor must not run again. */
  async #recover(failure: unknown, stream: Stream<V, K>): Promise<boolean> {
    const event = this.#delivered ?? stream.current
    try {
      await this.owner.onError(failure, event)
    } catch (error) {
      this.owner.crash(error)
      return false
    }
    // The failing event is done with (acked or dead-lettered): the next run starts after it. That is progress, so
    // the function starts again at once; only failures that handled no event back off (see RestartPolicy).
    event?.ack()
    stream.current?.ack()
    if (event !== undefined || stream.eventsTotal > 1) this.policy.onProgress()
    const delay = this.policy.onFailure()
    if (delay === undefined) {
      const policy = this.policy
      this.owner.crash(
        policy.exhausted ? new RestartsExhausted(policy.maxRestarts, policy.windowMs, { cause: failure }) : failure,
      )
      return false
    }
    this.restarts++
    // The error policy logged the failure (rate-limited); a restart that waits is worth a warning of its own.
    if (delay > 0) {
      this.owner.log.warn(
        { ...errorFields(failure), agent: this.owner.name, actor: this.index, delayMs: delay },
        'agent actor failed without handling an event: restarting after a backoff',
      )
    }
    if (this.policy.strategy === 'one_for_all') this.owner.restartSiblings(this)
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay))
    // Ends what the failed run derived from its stream (groupBy's forwarded stream) before the next run.
    this.#abort.abort()
    this.#abort = new AbortController()
    return true
  }
}
