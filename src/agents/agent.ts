import { randomUUID } from 'node:crypto'
import type { Channel } from '../channels/channel.ts'
import type { Topic } from '../channels/topic.ts'
import { settlesWithin } from '../clock.ts'
import { channels, since } from '../diagnostics.ts'
import { FaustusError, isFaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Event } from '../streams/event.ts'
import { EventQueue } from '../streams/queue.ts'
import type { SendMessage, SendTarget } from '../streams/types.ts'
import { Actor, type ActorOwner, type AgentFunction } from './actor.ts'
import type { ActorContext } from './context.ts'
import { emitting, type RefusedHandler } from './context.ts'
import { LogLimiter } from './log-limiter.ts'
import { type AgentCall, iteratorOf, kvjoin, kvmap, type MapOptions } from './mapping.ts'
import { deliverToSinks, type Sink } from './sinks.ts'
import { RestartPolicy, type SupervisorStats } from './supervisor.ts'
import type { AgentErrorPolicy, AgentHost, AgentOptions, AgentSendMessage, AskOptions, SendOptions } from './types.ts'

export type { AgentErrorPolicy, AgentHost, AgentOptions, AgentSendMessage, AskOptions, SendOptions } from './types.ts'

/**
 * A stream processor: an async function (or async generator) over the stream of a channel, run by one or more
 * actors. Results it yields go to the asker (ask/send with replyTo) and to its sinks.
 */
export class Agent<V = unknown, K = unknown, R = unknown> implements SendTarget<V, K>, ActorOwner<R> {
  readonly name: string
  readonly channel: Topic<V, K> | Channel<V, K>
  readonly fn: AgentFunction<V, K, R>
  readonly options: AgentOptions<R>
  readonly log: Logger
  readonly #host: AgentHost
  readonly #sinks: readonly Sink<R>[]
  readonly #policy: RestartPolicy
  /** Per-event error logs, rate-limited: an agent failing on every event must not flood the log. */
  readonly #errorLog: LogLimiter
  #actors: Actor<V, K, R>[] = []
  #queue: EventQueue<K, V> | undefined
  #running = false
  #eventsOut = 0
  #errors = 0
  /** Events taken from queues of earlier runs (the queue is replaced at each start). */
  #eventsInBefore = 0
  /** The error policy for a refused output of one of this agent's results (one function for all of them). */
  readonly #refused: RefusedHandler = (error, event) => this.onError(error, event)

  constructor(
    host: AgentHost,
    channel: Topic<V, K> | Channel<V, K>,
    fn: AgentFunction<V, K, R>,
    options: AgentOptions<R>,
  ) {
    this.#host = host
    this.channel = channel
    this.fn = fn
    this.options = options
    this.name = options.name ?? fn.name
    this.log = host.log.child({ agent: this.name })
    this.#errorLog = new LogLimiter(this.log)
    this.#sinks = options.sink ?? []
    const supervisor = typeof options.supervisor === 'string' ? { strategy: options.supervisor } : options.supervisor
    this.#policy = new RestartPolicy(supervisor)
    const concurrency = options.concurrency ?? 1
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new FaustusError('FST_APP_DEFINITION', `agent "${this.name}": concurrency must be a positive integer`)
    }
  }

  get concurrency(): number {
    return this.options.concurrency ?? 1
  }

  get running(): boolean {
    return this.#running
  }

  /** Starts the actors (the app does this on start). */
  start(): void {
    if (this.#running) return
    this.#running = true
    if (this.options.isolatedPartitions) {
      this.#startIsolated()
      return
    }
    const queue = this.channel.queue()
    this.#eventsInBefore += this.#queue?.taken ?? 0
    this.#queue = queue
    for (let i = 0; i < this.concurrency; i++) this.#spawn(i, queue)
  }

  #spawn(index: number, queue: EventQueue<K, V>): Actor<V, K, R> {
    const actor = new Actor<V, K, R>(
      index,
      this,
      this.fn,
      queue,
      {
        channelName: this.channel.name,
        prefix: this.name,
        context: this.#host.streamContext,
        concurrencyIndex: this.concurrency > 1 ? index : undefined,
        onSample: (seconds) => {
          if (channels.process.hasSubscribers)
            channels.process.publish({ app: this.#host.appId, agent: this.name, seconds })
        },
      },
      this.#policy,
    )
    this.#actors.push(actor)
    actor.start()
    return actor
  }

  /** One actor per partition: a dispatcher moves each event to its partition's queue. */
  #startIsolated(): void {
    const main = this.channel.queue()
    this.#eventsInBefore += this.#queue?.taken ?? 0
    this.#queue = main
    const byPartition = new Map<number, { queue: EventQueue<K, V>; actor: Actor<V, K, R> }>()
    const open = (partition: number) => {
      if (byPartition.has(partition)) return
      // Fed by the dispatcher only, not subscribed to the channel.
      const queue = new EventQueue<K, V>()
      byPartition.set(partition, { queue, actor: this.#spawn(partition, queue) })
    }
    const topics = 'names' in this.channel ? this.channel.names : [this.channel.name]
    this.#host.watchPartitions(topics, {
      onAssigned: (partitions) => partitions.forEach(open),
      onRevoked: async (partitions, waitMs) => {
        const deadline = Date.now() + waitMs
        for (const partition of partitions) {
          const entry = byPartition.get(partition)
          if (entry === undefined) continue
          byPartition.delete(partition)
          entry.queue.close()
          // A stuck actor is left behind: its held event is not acked, so the partition's next owner reads it again.
          if (!(await settlesWithin(entry.actor.done, Math.max(0, deadline - Date.now()))))
            this.#host.log.warn({ agent: this.name, partition }, 'revoke: actor still busy at the deadline')
          this.#actors = this.#actors.filter((a) => a !== entry.actor)
        }
      },
    })
    void (async () => {
      for (;;) {
        const event = await main.pull()
        if (event === undefined) break
        const partition = event.partition ?? 0
        open(partition)
        const { queue } = byPartition.get(partition)!
        await queue.writable()
        queue.push(event)
      }
      for (const { queue } of byPartition.values()) queue.close()
    })().catch((error) => this.crash(error))
  }

  /**
   * Ends the actors once they have processed what is buffered. Resolves true when they returned, false when
   * `waitMs` passed first: an actor stuck in user code cannot be cancelled, and a stop must not wait on it forever.
   */
  async stop(waitMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    if (!this.#running) return true
    this.#running = false
    this.#queue?.close()
    const finished = await settlesWithin(Promise.all(this.#actors.map((actor) => actor.done)), waitMs)
    this.#actors = []
    this.#errorLog.flush()
    return finished
  }

  /** Counters for metrics: events handed to the actors, results they yielded, errors they raised. */
  get stats(): { eventsIn: number; eventsOut: number; errors: number } {
    return {
      eventsIn: this.#eventsInBefore + (this.#queue?.taken ?? 0),
      eventsOut: this.#eventsOut,
      errors: this.#errors,
    }
  }

  /** Events buffered for the actors (for draining on stop). */
  get buffered(): number {
    return this.#queue?.size ?? 0
  }

  emit(result: R, event: Event | undefined): Promise<void> | undefined {
    this.#eventsOut++
    const previousEvent = emitting.event
    const previousRefused = emitting.refused
    emitting.event = event
    emitting.refused = event === undefined ? undefined : this.#refused
    try {
      const request = event?.replyTo
      if (request == null) return deliverToSinks(this.#sinks, result)
      return this.#host.sendReply(request, event?.key ?? null, result).then(() => deliverToSinks(this.#sinks, result))
    } finally {
      emitting.event = previousEvent
      emitting.refused = previousRefused
    }
  }

  async onError(error: unknown, event: Event | undefined): Promise<void> {
    const policy = this.options.onError ?? 'ack'
    const where = event ? { topic: event.topic, partition: event.partition, offset: event.offset } : {}
    this.#errors++
    if (channels.error.hasSubscribers)
      channels.error.publish(errorMessage(this.#host.appId, this.name, error, where, policy))
    if (policy === 'crash') throw error
    if (typeof policy === 'object') {
      await this.#host.deadLetter(policy.deadLetter, this.name, event, error)
      this.#errorLog.error(
        { ...errorFields(error), ...where, deadLetter: policy.deadLetter },
        'agent raised: event sent to dead-letter topic',
      )
      return
    }
    this.#errorLog.error({ ...errorFields(error), ...where }, 'agent raised: event acked and skipped')
  }

  /** Supervisor counters: failures, restarts, and restarts that backed off. */
  get supervisorStats(): SupervisorStats {
    return this.#policy.stats
  }

  crash(error: unknown): void {
    const cause = error instanceof Error ? error : new Error(String(error))
    this.#host.crash(new FaustusError('FST_AGENT_CRASHED', `agent "${this.name}" crashed: ${cause.message}`, { cause }))
  }

  actorContext(actor: Actor<any, any, any>): ActorContext {
    return {
      agent: this.name,
      concurrency: this.concurrency,
      current: () => actor.delivered,
      refused: (error, event) => this.onError(error, event),
    }
  }

  restartSiblings(except: Actor<any, any, any>): void {
    for (const actor of this.#actors) if (actor !== except) actor.restart()
  }

  /** Sends a value to the agent's channel; with `replyTo`, the result goes there with the correlation id. */
  async send(message: AgentSendMessage<V, K> | SendMessage<K, V>): Promise<unknown> {
    this.#host.assertCanSend(`agent "${this.name}".send`)
    const { replyTo, correlationId, ...rest } = message as AgentSendMessage<V, K>
    let request = (message as SendMessage<K, V>).request
    if (replyTo !== undefined) {
      const name = typeof replyTo === 'string' ? replyTo : replyTopicName(replyTo)
      request = { replyTo: name, correlationId: correlationId ?? randomUUID() }
    }
    return this.channel.send({ ...rest, request })
  }

  /** Sends to the agent's channel without waiting for delivery (used when the agent is a sink). */
  forward(message: SendMessage<K, V>): Promise<void> | undefined {
    const channel = this.channel as Topic<V, K> | Channel<V, K>
    return 'forward' in channel ? channel.forward(message) : channel.send(message)
  }

  /** Sends without waiting for a result. */
  async cast(value: V, options: SendOptions<K> = {}): Promise<void> {
    this.#host.assertCanSend(`agent "${this.name}".cast`)
    await this.channel.send({ ...options, value })
  }

  /** Sends and waits for the result the agent yields for it. */
  async ask(value: V, options: AskOptions<K> = {}): Promise<R> {
    this.#host.assertCanSend(`agent "${this.name}".ask`)
    const { timeout, ...sendOptions } = options
    const waiter = await this.#host.replyWaiter()
    const correlationId = randomUUID()
    // Waiting starts before the send: the reply may arrive before the send is acknowledged.
    const reply = waiter.expect(correlationId, timeout ?? this.#host.askTimeoutMs, this.name)
    const started = performance.now()
    try {
      await this.channel.send({ ...sendOptions, value, request: { replyTo: waiter.topicName, correlationId } })
    } catch (error) {
      // Nothing was sent, so no reply will come: stop waiting (else the reply's timer fires for nobody).
      waiter.forget(correlationId)
      throw error
    }
    if (!channels.ask.hasSubscribers) return (await reply) as R
    const report = (error?: unknown) =>
      channels.ask.publish({ app: this.#host.appId, agent: this.name, seconds: since(started), error })
    return (reply as Promise<R>).then(
      (result) => {
        report()
        return result
      },
      (error) => {
        report(error)
        throw error
      },
    )
  }

  #call(operation: string): AgentCall<V, K> {
    return {
      agent: this,
      waiter: () => {
        this.#host.assertCanSend(`agent "${this.name}".${operation}`)
        return this.#host.replyWaiter()
      },
      timeoutMs: this.#host.askTimeoutMs,
      maxInFlight: this.#host.mapMaxInFlight,
    }
  }

  /**
   * Streams results as they come (out of order) for each value. Values are pulled and sent while fewer than
   * `maxInFlight` (default the `mapMaxInFlight` setting) results are outstanding, so infinite inputs work and
   * leaving the loop stops the sending.
   */
  map(values: Iterable<V> | AsyncIterable<V>, options: MapOptions = {}): AsyncIterable<R> {
    return kvmap(this.#call('map'), withoutKeys<K, V>(values), options)
  }

  /** As `map`, for `[key, value]` pairs (the key is the message key). */
  kvmap(items: Iterable<[K, V]> | AsyncIterable<[K, V]>, options: MapOptions = {}): AsyncIterable<R> {
    return kvmap(this.#call('kvmap'), items, options)
  }

  /** Results of all values, in the order of the values; sends with the same bounded window as `map`. */
  join(values: Iterable<V> | AsyncIterable<V>, options: MapOptions = {}): Promise<R[]> {
    return kvjoin(this.#call('join'), withoutKeys<K, V>(values), options)
  }

  /** As `join`, for `[key, value]` pairs. */
  kvjoin(items: Iterable<[K, V]> | AsyncIterable<[K, V]>, options: MapOptions = {}): Promise<R[]> {
    return kvjoin(this.#call('kvjoin'), items, options)
  }
}

function replyTopicName(target: object): string {
  if (target instanceof Agent) return target.channel.name
  const name = (target as { name?: unknown }).name
  if (typeof name !== 'string')
    throw new FaustusError('FST_AGENT_NO_TOPIC', 'replyTo needs an agent, a topic or a name')
  return name
}

/** Pairs each value with no key, lazily (pulling one value per pair) and closing `values` when closed itself. */
function withoutKeys<K, V>(values: Iterable<V> | AsyncIterable<V>): AsyncIterable<[K | undefined, V]> {
  return {
    [Symbol.asyncIterator]() {
      const source = iteratorOf(values)
      return {
        async next() {
          const step = await source.next()
          return step.done ? { done: true, value: undefined } : { done: false, value: [undefined, step.value] }
        },
        async return() {
          await source.return?.()
          return { done: true, value: undefined }
        },
      }
    },
  }
}

function errorMessage(app: string | undefined, agent: string, error: unknown, where: object, policy: AgentErrorPolicy) {
  // A user's exception has no code: its class name stands for one (TypeError, ValidationError...).
  const code = isFaustusError(error) ? error.code : error instanceof Error ? error.name : 'Error'
  const deadLetter = typeof policy === 'object' ? policy.deadLetter : undefined
  return { app, agent, code, message: error instanceof Error ? error.message : String(error), ...where, deadLetter }
}
