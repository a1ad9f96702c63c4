import { randomUUID } from 'node:crypto'
import type { OutputOrigin } from '../agents/context.ts'
import { ReplyWaiter } from '../agents/replies.ts'
import { Conductor } from '../channels/conductor.ts'
import { decodeReply } from '../channels/reqrep.ts'
import type { Topic } from '../channels/topic.ts'
import type { Clock } from '../clock.ts'
import { channels, since } from '../diagnostics.ts'
import { FaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import type {
  Assignor,
  ConsumedRecord,
  Consumer,
  ConsumerHandler,
  ProduceRecord,
  Producer,
  TopicSpec,
  Transport,
} from '../transport/types.ts'
import { Checkpoint, type CheckpointState } from './checkpoint.ts'
import { Outputs } from './outputs.ts'
import { isRewindable } from './rewind.ts'
import type { Settings } from './settings.ts'
import { createTransport } from './transports.ts'

/** What the runtime needs of its app. */
export interface RuntimeHost {
  readonly appId: string
  readonly groupId: string
  readonly settings: Settings
  readonly log: Logger
  /** Where ask timeouts are scheduled; default the real clock. */
  readonly clock?: Clock
  /** Topics to create at start (declared and derived). */
  declaredTopics(): Iterable<Topic<any, any>>
  decodeReplyValue(value: unknown): unknown
  onUndecodable(error: unknown, record: ConsumedRecord): Promise<void>
  /** The group protocol for the next consumer (tables need standbys); default the driver's. */
  assignor?(): Assignor | undefined
  /** A consumer stopped because handling records failed: the app cannot go on. */
  onConsumerError(error: unknown): void
}

/**
 * The app's connection to its transport: one producer, one group consumer feeding the conductor, the periodic
 * commit, and the per-process reply topic. Kept apart from App so the definition API stays small.
 */
export class Runtime {
  readonly conductor: Conductor
  readonly checkpoint: Checkpoint
  readonly #outputs: Outputs
  readonly #host: RuntimeHost
  #transport: Transport | undefined
  #connecting: Promise<Transport> | undefined
  #producer: Producer | undefined
  #consumer: Consumer | undefined
  #stopping = false
  #subscribed = new Set<string>()
  #replies: Promise<{ waiter: ReplyWaiter; reader: Consumer }> | undefined
  /** The reply waiter once started, read synchronously by `app.stats()`. */
  #waiter: ReplyWaiter | undefined
  #resubscribing: Promise<void> | undefined
  #createdTopics = new Set<string>()
  /** Exactly-once: a rewind after a failed checkpoint, while it runs. */
  #rewinding: Promise<void> | undefined
  #closing = false
  /** Counters for metrics and tests. */
  readonly rewinds = { started: 0, done: 0 }

  constructor(host: RuntimeHost) {
    this.#host = host
    this.#outputs = new Outputs((error) => this.outputFailed(error), host.settings.producerMaxBufferedBytes)
    const settings = host.settings
    this.conductor = new Conductor({
      appId: host.appId,
      log: host.log,
      commitEvery: settings.brokerCommitEvery,
      revokeTimeoutMs: settings.revokeTimeoutMs,
      onUndecodable: (error, record) => host.onUndecodable(error, record),
    })
    this.checkpoint = new Checkpoint({
      appId: host.appId,
      log: host.log,
      acks: this.conductor.acks,
      outputs: this.#outputs,
      intervalMs: settings.brokerCommitIntervalMs,
      streams: {
        pause: (paused) => this.conductor.pauseStreams(paused),
        untaken: () => this.conductor.untaken(),
        fansOut: () => this.conductor.fansOut(),
      },
      onAborted: (error) => this.#onAborted(error),
    })
    this.conductor.onCommitDue(() => this.checkpoint.request('acks'))
  }

  /**
   * Produces without waiting for the broker's acknowledgement (as Faust's sinks do): undefined at once while fewer
   * than the window's records are unacknowledged, else a promise that resolves when there is room. Failures
   * surface at the next checkpoint.
   */
  sendSoon(record: ProduceRecord, origin?: OutputOrigin): Promise<void> | undefined {
    if (this.#producer === undefined) return this.producer().then(() => this.#outputs.send(record, origin))
    return this.#outputs.send(record, origin)
  }

  /** Adds local state (tables) to the checkpoint: see `Checkpoint` for the steps. */
  addCheckpointSteps(state: CheckpointState): void {
    this.checkpoint.addState(state)
  }

  /** What the group consumer calls: routing to the conductor, revokes through the checkpoint. */
  readonly #handler: ConsumerHandler = {
    onAssigned: (assignment) => this.conductor.onAssigned(assignment),
    onRecords: (records) => {
      const checkpoint = this.checkpoint
      // Exactly-once: records wait while a checkpoint commits its transaction; after an abort they are dropped
      // (never acked, so read again after the restart).
      if (checkpoint.gate !== undefined) return checkpoint.gate.then(() => this.#handler.onRecords(records))
      if (checkpoint.aborted) return
      return this.conductor.onRecords(records)
    },
    onRevoked: async (partitions) => {
      await this.conductor.release(partitions)
      const trigger = this.#stopping ? 'stop' : 'revoke'
      try {
        await this.checkpoint.run(trigger)
      } catch (error) {
        // Nothing is committed for these partitions: their next owner reads them again from the last commit.
        this.#host.log.error({ ...errorFields(error), trigger }, 'checkpoint failed on revoke: offsets not committed')
      }
      this.conductor.acks.forget(partitions)
    },
  }

  /** Outputs not yet acknowledged by the broker, and those not yet handed to the producer (for metrics). */
  get outputsInFlight(): { inFlight: number; buffered: number } {
    return this.#outputs.inFlight
  }

  /** The group consumer while it runs (tables pause and seek changelog partitions on it). */
  get consumer(): Consumer | undefined {
    return this.#consumer
  }

  get transport(): Transport | undefined {
    return this.#transport
  }
  get consuming(): boolean {
    return this.#consumer !== undefined
  }

  /**
   * Connects the transport and producer once; concurrent callers share the attempt. Under exactly-once (a worker
   * with `processingGuarantee: 'exactly_once'`) the producer is transactional: one per worker, with a fresh
   * transactional id (fencing of a zombie comes from its group generation, KIP-447).
   */
  connect(options: { exactlyOnce?: boolean } = {}): Promise<Transport> {
    this.#connecting ??= (async () => {
      const settings = this.#host.settings
      const transport = await createTransport(settings, this.#host.log, (error) => this.#host.onConsumerError(error))
      await transport.connect()
      const producerOptions = { lingerMs: settings.producerLingerMs, compression: settings.producerCompression }
      if (options.exactlyOnce) {
        const transactions = transport.createTransactionalProducer({
          ...producerOptions,
          transactionalId: `${this.#host.groupId}-${randomUUID()}`,
        })
        this.#producer = transactions
        this.checkpoint.transactions = transactions
      } else {
        this.#producer = transport.createProducer(producerOptions)
        this.checkpoint.transactions = undefined
      }
      this.#outputs.attach(this.#producer)
      this.#transport = transport
      return transport
    })()
    this.#connecting.catch(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async producer(): Promise<Producer> {
    await this.connect()
    return this.#producer!
  }

  /** Topics that exist already and are taken as they are: `ensureTopics` leaves them alone. */
  markCreated(names: readonly string[]): void {
    for (const name of names) this.#createdTopics.add(name)
  }

  /** Creates declared topics not created yet (when `topicAllowDeclare`). */
  async ensureTopics(): Promise<void> {
    const transport = await this.connect()
    if (!this.#host.settings.topicAllowDeclare) return
    const specs: TopicSpec[] = []
    for (const topic of this.#host.declaredTopics()) {
      if (topic.options.declare === false) continue
      for (const spec of topic.specs()) {
        // A name of a multi-name topic is also declared on its own (app.topics maps each name).
        if (!this.#createdTopics.has(spec.name) && !specs.some((s) => s.name === spec.name)) specs.push(spec)
      }
    }
    if (specs.length === 0) return
    await transport.ensureTopics(specs)
    for (const spec of specs) this.#createdTopics.add(spec.name)
  }

  /** Joins the app's consumer group for every topic some stream reads, plus `extraTopics`. */
  async startConsumer(extraTopics: string[]): Promise<void> {
    const transport = await this.connect()
    const topics = [...new Set([...this.conductor.topicNames(), ...extraTopics])].sort()
    this.#subscribed = new Set(topics)
    this.#consumer = transport.createConsumer({
      groupId: this.#host.groupId,
      topics,
      handler: this.#handler,
      assignor: this.#host.assignor?.(),
      autoOffsetReset: 'earliest',
      isolationLevel: 'read_committed',
    })
    this.checkpoint.bind(this.#consumer)
    await this.#consumer.start()
  }

  /** A stream started reading a topic after the consumer joined: join again with the larger subscription. */
  async resubscribeIfNeeded(extraTopics: string[]): Promise<void> {
    if (this.#consumer === undefined) return
    const missing = this.conductor.topicNames().filter((name) => !this.#subscribed.has(name))
    if (missing.length === 0) return
    this.#resubscribing ??= (async () => {
      await this.ensureTopics()
      await this.stopConsumer()
      await this.startConsumer(extraTopics)
    })().finally(() => {
      this.#resubscribing = undefined
    })
    await this.#resubscribing
  }

  /** A checkpoint now (after the one in progress); a failure is logged, the next trigger tries again. */
  async commit(): Promise<void> {
    await this.checkpoint
      .run('interval')
      .catch((error) => this.#host.log.warn({ ...errorFields(error) }, 'commit failed; will retry'))
  }

  /**
   * An output (or a table changelog record) failed. At least once the app stops (nothing may be committed past it). Under exactly-once a
   * retriable failure (the broker away past the client's retries) only dooms the open transaction: the next
   * checkpoint fails on it, aborts and rewinds (see `#rewind`).
   */
  outputFailed(error: unknown): void {
    if (this.checkpoint.transactions === undefined || this.#closing || !isRewindable(error)) {
      this.#host.onConsumerError(error)
      return
    }
    this.#host.log.warn({ ...errorFields(error) }, 'an output failed: the transaction will be aborted and rewound')
    this.checkpoint.request('interval')
  }

  /** Exactly-once: a checkpoint's transaction was aborted (its tables rolled back): rewind, or stop if fatal. */
  #onAborted(error: unknown): void {
    if (this.#closing || !isRewindable(error)) {
      this.#host.onConsumerError(error)
      return
    }
    this.#rewinding ??= this.#rewind(error).finally(() => {
      this.#rewinding = undefined
    })
  }

  /**
   * Rewinds in place, as a restart would but without stopping: leaves the group (the aborted checkpoint committed
   * nothing, so nothing is committed on the way out; queued events are dropped unacked), aborts whatever the
   * events finishing meanwhile put into the producer and rolls the tables back again, then joins again: the
   * consumer reads from the group's committed offsets and the tables recover their committed state from the
   * changelogs (read_committed). The producer stays: its next transaction begins with InitProducerId, which aborts
   * anything left open under the transactional id. While the broker is away each step is retried with backoff.
   */
  async #rewind(cause: unknown): Promise<void> {
    const log = this.#host.log
    const app = this.#host.appId
    const started = performance.now()
    this.rewinds.started++
    log.warn({ ...errorFields(cause) }, 'exactly-once checkpoint failed: rewinding to the last committed offsets')
    if (channels.rewind.hasSubscribers) channels.rewind.publish({ app, error: cause, phase: 'start' })
    const topics = [...this.#subscribed]
    for (let attempt = 1; ; attempt++) {
      if (this.#closing) return
      try {
        // Events delivered before the abort finish first (new records are dropped): their outputs go into the
        // transaction aborted below, never into the next one, and their offsets are never committed. An event still
        // running at a revoke's timeout would otherwise send its outputs after the rejoin, into a committed
        // transaction, and be processed again too.
        if (!(await this.drain(() => true, Math.max(this.#host.settings.revokeTimeoutMs, 30_000)))) {
          log.warn({ inFlight: this.conductor.acks.inFlight() }, 'rewind: events still running after the wait')
        }
        await this.stopConsumer()
        await this.checkpoint.transactions
          ?.abort()
          .catch((error) => log.warn({ ...errorFields(error) }, 'abort failed; the next transaction aborts it'))
        this.checkpoint.rollback()
        if (this.#closing) return
        await this.startConsumer(topics)
        this.rewinds.done++
        log.warn({ attempts: attempt }, 'rewound: consuming again from the last committed offsets')
        if (channels.rewind.hasSubscribers) {
          channels.rewind.publish({ app, error: cause, phase: 'end', attempts: attempt, seconds: since(started) })
        }
        return
      } catch (error) {
        if (!isRewindable(error) || this.#closing) {
          this.#host.onConsumerError(error)
          return
        }
        const delayMs = Math.min(100 * 2 ** Math.min(attempt, 5), 2_000)
        log.warn({ ...errorFields(error), attempt, delayMs }, 'rewind failed; retrying')
        await new Promise((resolve) => setTimeout(resolve, delayMs))
      }
    }
  }

  /** Waits until every consumed event is processed and acked, or the deadline passes. */
  async drain(isIdle: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!(isIdle() && this.conductor.acks.inFlight() === 0)) {
      if (Date.now() >= deadline) return false
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    return true
  }

  async stopConsumer(): Promise<void> {
    const consumer = this.#consumer
    if (consumer === undefined) return
    this.checkpoint.stopInterval()
    this.#stopping = true
    try {
      // Closing revokes every partition, which runs the final checkpoint through this consumer.
      await consumer.close()
    } finally {
      this.#stopping = false
      this.checkpoint.unbind()
      this.#consumer = undefined
      this.#subscribed.clear()
    }
  }

  pauseFetching(): void {
    const consumer = this.#consumer
    if (consumer === undefined) return
    const { actives } = consumer.assignment()
    consumer.pause(actives)
  }

  /** The per-process reply topic and its reader, created on first use. */
  replyWaiter(): Promise<ReplyWaiter> {
    if (this.#replies === undefined) {
      const starting = this.#startReplies()
      this.#replies = starting
      starting.then(
        (r) => {
          if (this.#replies === starting) this.#waiter = r.waiter
        },
        () => {},
      )
      // A failed start (broker briefly away) is not kept: the next ask tries again.
      starting.catch(() => {
        if (this.#replies === starting) this.#replies = undefined
      })
    }
    return this.#replies.then((r) => r.waiter)
  }

  /** Asks waiting for their reply (0 before the first ask). */
  get asksWaiting(): number {
    return this.#waiter?.waiting ?? 0
  }

  async #startReplies(): Promise<{ waiter: ReplyWaiter; reader: Consumer }> {
    const transport = await this.connect()
    // Faust's default reply_to: f-reply-<uuid4>, one partition, deleted after `reply_expires`.
    const name = `f-reply-${randomUUID()}`
    await transport.ensureTopics([
      {
        name,
        partitions: 1,
        replicas: this.#host.settings.topicReplicationFactor,
        config: { 'cleanup.policy': 'delete', 'retention.ms': String(this.#host.settings.replyExpiresMs) },
      },
    ])
    const log = this.#host.log
    const waiter = new ReplyWaiter(name, log, this.#host.clock)
    const reader = transport.createConsumer({
      handler: {
        onAssigned: () => {},
        onRevoked: () => {},
        onRecords: (records) => {
          for (const record of records) {
            try {
              const reply = decodeReply(record.value, record)
              waiter.deliver(reply.correlationId, this.#host.decodeReplyValue(reply.value))
            } catch (error) {
              log.error({ ...errorFields(error), topic: name, offset: record.offset }, 'skipping an unreadable reply')
            }
          }
        },
      },
    })
    await reader.assign([{ topic: name, partition: 0, offset: 0 }])
    await reader.start()
    return { waiter, reader }
  }

  async close(): Promise<void> {
    this.#closing = true
    await this.#rewinding
    this.#closing = false
    await this.stopConsumer()
    if (this.#replies) {
      const { waiter, reader } = await this.#replies.catch(() => ({ waiter: undefined, reader: undefined }))
      waiter?.cancelAll(new FaustusError('FST_APP_NOT_STARTED', 'the app stopped before the reply arrived'))
      await reader?.close()
      this.#replies = undefined
      this.#waiter = undefined
    }
    this.#outputs.sendNow()
    await this.#producer?.flush()
    await this.#producer?.close()
    this.#outputs.attach(undefined)
    await this.#transport?.close()
    this.#producer = undefined
    this.#transport = undefined
    this.#connecting = undefined
    this.#createdTopics.clear()
    this.#outputs.reset()
  }
}
