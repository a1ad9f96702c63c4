import { randomUUID } from 'node:crypto'
import { ReplyWaiter } from '../agents/replies.ts'
import { Conductor } from '../channels/conductor.ts'
import { decodeReply } from '../channels/reqrep.ts'
import type { Topic } from '../channels/topic.ts'
import type { Clock } from '../clock.ts'
import { observeCheckpoint } from '../diagnostics.ts'
import { FaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import type {
  Assignor,
  ConsumedRecord,
  Consumer,
  ProduceRecord,
  Producer,
  TopicSpec,
  Transport,
} from '../transport/types.ts'
import { OutputWindow } from './outputs.ts'
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

/** Checkpoint steps of other parts (tables): around the producer's flush, before offsets are committed. */
export interface CheckpointSteps {
  /** Step 1: hand buffered outputs (table changelog records) to the producer. */
  beforeFlush?(): Promise<void> | void
  /** Step 3: make local state durable (stores and their changelog offsets). */
  afterFlush?(): Promise<void> | void
}

/**
 * The app's connection to its transport: one producer, one group consumer feeding the conductor, the periodic
 * commit, and the per-process reply topic. Kept apart from App so the definition API stays small.
 */
export class Runtime {
  readonly conductor: Conductor
  readonly #outputs: OutputWindow
  #batch: ProduceRecord[] | null = null
  readonly #host: RuntimeHost
  #transport: Transport | undefined
  #connecting: Promise<Transport> | undefined
  #producer: Producer | undefined
  #consumer: Consumer | undefined
  #subscribed = new Set<string>()
  #commitTimer: NodeJS.Timeout | undefined
  #committing: Promise<void> | undefined
  #replies: Promise<{ waiter: ReplyWaiter; reader: Consumer }> | undefined
  #resubscribing: Promise<void> | undefined
  #createdTopics = new Set<string>()
  readonly #checkpointSteps: CheckpointSteps[] = []

  constructor(host: RuntimeHost) {
    this.#host = host
    this.#outputs = new OutputWindow((error) => host.onConsumerError(error))
    const settings = host.settings
    this.conductor = new Conductor({
      appId: host.appId,
      log: host.log,
      commitEvery: settings.brokerCommitEvery,
      revokeTimeoutMs: settings.revokeTimeoutMs,
      flush: () => this.#flush(),
      commit: (offsets) => this.#consumer?.commit(offsets) ?? Promise.resolve(),
      onUndecodable: (error, record) => host.onUndecodable(error, record),
    })
    this.conductor.onCommitDue(() => void this.commit())
  }

  /**
   * Produces without waiting for the broker's acknowledgement (as Faust's sinks do): undefined at once while fewer
   * than the window's records are unacknowledged, else a promise that resolves when there is room. Failures
   * surface at the next checkpoint.
   */
  sendSoon(record: ProduceRecord): Promise<void> | undefined {
    const producer = this.#producer
    if (producer === undefined) return this.producer().then((p) => this.#outputs.add(p.send([record]), 1))
    // Records sent in one turn of the event loop (a consumed batch running through the agents) go to the
    // producer as one send: one promise and one array per batch instead of per record.
    if (this.#batch === null) {
      this.#batch = []
      setImmediate(() => this.#sendBatch())
    }
    this.#batch.push(record)
    return this.#outputs.reserve()
  }

  #sendBatch(): void {
    const batch = this.#batch
    this.#batch = null
    if (batch === null || batch.length === 0) return
    const producer = this.#producer
    const sent = producer ? producer.send(batch) : Promise.reject(new Error('the producer closed before sending'))
    this.#outputs.track(sent, batch.length)
  }

  /** Adds checkpoint steps; see `#flush` for the order. */
  addCheckpointSteps(steps: CheckpointSteps): void {
    this.#checkpointSteps.push(steps)
  }

  /** Steps 1-3 of a checkpoint (step 4, the commit, is the conductor's). */
  async #flush(): Promise<void> {
    // 1. Buffered outputs (table changelogs) into the producer.
    for (const step of this.#checkpointSteps) await step.beforeFlush?.()
    // 2. Every output acknowledged by the broker; a send that failed fails the checkpoint, so no offset is
    //    committed past an event whose output was lost.
    this.#sendBatch()
    await this.#producer?.flush()
    await this.#outputs.settled()
    // 3. Local state durable, with the changelog offsets it reflects.
    for (const step of this.#checkpointSteps) await step.afterFlush?.()
  }

  /** Outputs not yet acknowledged by the broker, and those not yet handed to the producer (for metrics). */
  get outputsInFlight(): { inFlight: number; buffered: number } {
    return { inFlight: this.#outputs.pending, buffered: this.#batch?.length ?? 0 }
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

  /** Connects the transport and producer once; concurrent callers share the attempt. */
  connect(): Promise<Transport> {
    this.#connecting ??= (async () => {
      const transport = await createTransport(this.#host.settings, this.#host.log, (error) =>
        this.#host.onConsumerError(error),
      )
      await transport.connect()
      this.#producer = transport.createProducer({
        lingerMs: this.#host.settings.producerLingerMs,
        compression: this.#host.settings.producerCompression,
      })
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
      handler: this.conductor,
      assignor: this.#host.assignor?.(),
      autoOffsetReset: 'earliest',
    })
    await this.#consumer.start()
    const interval = this.#host.settings.brokerCommitIntervalMs
    this.#commitTimer = setInterval(() => void this.commit(), interval)
    this.#commitTimer.unref?.()
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

  /** A checkpoint (flush, then commit what is acked); never two at once. */
  async commit(): Promise<void> {
    if (this.#consumer === undefined) return
    if (this.#committing) return this.#committing
    this.#committing = observeCheckpoint(this.#host.appId, this.conductor.checkpoint())
      .catch((error) => this.#host.log.warn({ ...errorFields(error) }, 'commit failed; will retry'))
      .finally(() => {
        this.#committing = undefined
      })
    return this.#committing
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
    clearInterval(this.#commitTimer)
    const consumer = this.#consumer
    if (consumer === undefined) return
    await this.commit()
    this.#consumer = undefined
    this.#subscribed.clear()
    // Closing revokes every partition, which runs the conductor's final checkpoint.
    await consumer.close()
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
      // A failed start (broker briefly away) is not kept: the next ask tries again.
      starting.catch(() => {
        if (this.#replies === starting) this.#replies = undefined
      })
    }
    return this.#replies.then((r) => r.waiter)
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
    await this.stopConsumer()
    if (this.#replies) {
      const { waiter, reader } = await this.#replies.catch(() => ({ waiter: undefined, reader: undefined }))
      waiter?.cancelAll(new FaustusError('FST_APP_NOT_STARTED', 'the app stopped before the reply arrived'))
      await reader?.close()
      this.#replies = undefined
    }
    this.#sendBatch()
    await this.#producer?.flush()
    await this.#producer?.close()
    await this.#transport?.close()
    this.#producer = undefined
    this.#transport = undefined
    this.#connecting = undefined
    this.#createdTopics.clear()
    this.#outputs.reset()
  }
}
