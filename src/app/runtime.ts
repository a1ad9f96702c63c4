import { randomUUID } from 'node:crypto'
import type { RefusedHandler } from '../agents/context.ts'
import type { ReplyWaiter } from '../agents/replies.ts'
import { Conductor } from '../channels/conductor.ts'
import type { Topic } from '../channels/topic.ts'
import type { Clock } from '../clock.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Event } from '../streams/event.ts'
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
import { CurrentProducer } from './current-producer.ts'
import { Outputs } from './outputs.ts'
import { ReplyTopic } from './reply-topic.ts'
import { isRewindable } from './rewind.ts'
import { Rewinder } from './rewinder.ts'
import type { Settings } from './settings.ts'
import { createTransport, staticMemberId } from './transports.ts'

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
  /** The app's one producer (see CurrentProducer): every output, changelog record and transaction goes through it. */
  #producer: CurrentProducer | undefined
  #consumer: Consumer | undefined
  #stopping = false
  #subscribed = new Set<string>()
  readonly #replyTopic: ReplyTopic
  #resubscribing: Promise<void> | undefined
  #createdTopics = new Set<string>()
  /** Exactly-once: rewinds after a failed checkpoint. */
  readonly #rewinder: Rewinder
  #closing = false

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
    this.#replyTopic = new ReplyTopic({
      log: host.log,
      // Read at the first ask: a test driver sets its virtual clock after the runtime exists.
      get clock() {
        return host.clock
      },
      replicas: settings.topicReplicationFactor,
      replyExpiresMs: settings.replyExpiresMs,
      connect: () => this.connect(),
      decodeReplyValue: (value) => host.decodeReplyValue(value),
    })
    const runtime = this
    this.#rewinder = new Rewinder({
      appId: host.appId,
      log: host.log,
      revokeTimeoutMs: settings.revokeTimeoutMs,
      conductor: this.conductor,
      checkpoint: this.checkpoint,
      get producer() {
        return runtime.#producer?.transactional ? runtime.#producer : undefined
      },
      get consumer() {
        return runtime.#consumer
      },
      get transport() {
        return runtime.#transport
      },
      closing: () => this.#closing,
      drain: (isIdle, timeoutMs) => this.drain(isIdle, timeoutMs),
      rejoin: async () => {
        const topics = [...this.#subscribed]
        await this.stopConsumer()
        if (!this.#closing) await this.startConsumer(topics)
      },
      fatal: (error) => this.#host.onConsumerError(error),
    })
  }

  /** Exactly-once rewinds: started, done, and how (for metrics and tests). */
  get rewinds(): Readonly<Rewinder['stats']> {
    return this.#rewinder.stats
  }

  /**
   * Produces without waiting for the broker's acknowledgement (as Faust's sinks do): undefined at once while fewer
   * than the window's records are unacknowledged, else a promise that resolves when there is room. Failures
   * surface at the next checkpoint.
   */
  sendSoon(record: ProduceRecord, event?: Event, refused?: RefusedHandler): Promise<void> | undefined {
    if (this.#producer === undefined) return this.producer().then(() => this.#outputs.send(record, event, refused))
    return this.#outputs.send(record, event, refused)
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
      // (never acked, so read again after the rewind), standby changelog records aside.
      if (checkpoint.gate !== undefined) return checkpoint.gate.then(() => this.#handler.onRecords(records))
      if (checkpoint.aborted) return this.conductor.onRecordsHeld(records)
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
        // One id for this worker's life: a producer replaced by a rewind keeps it (its new epoch fences the old).
        // A static member's is its instance id's: a replacement taking the partitions back without a rebalance
        // fences the dead member's producer at once, which aborts its open transaction (with a random id the
        // transaction, and the group's pending offsets with it, would hold those partitions until it timed out).
        const instanceId = staticMemberId(settings.brokerGroupInstanceId)
        const transactionalId = `${this.#host.groupId}-${instanceId ?? randomUUID()}`
        const producer = new CurrentProducer(
          () => transport.createTransactionalProducer({ ...producerOptions, transactionalId }),
          true,
        )
        this.#producer = producer
        this.checkpoint.transactions = producer
      } else {
        this.#producer = new CurrentProducer(() => transport.createProducer(producerOptions), false)
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
   * checkpoint fails on it, aborts and rewinds (see `Rewinder`).
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
      // The app stops: closing the producer aborts the transaction.
      this.#host.onConsumerError(error)
      return
    }
    this.#rewinder.start(error)
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

  /** The per-process reply topic's waiter, created on first use. */
  replyWaiter(): Promise<ReplyWaiter> {
    return this.#replyTopic.waiter()
  }

  /** Asks waiting for their reply (0 before the first ask). */
  get asksWaiting(): number {
    return this.#replyTopic.waiting
  }

  async close(): Promise<void> {
    this.#closing = true
    await this.#rewinder.running
    this.#closing = false
    await this.stopConsumer()
    await this.#replyTopic.close()
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
