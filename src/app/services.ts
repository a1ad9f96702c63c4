import type { AgentHost } from '../agents/agent.ts'
import { currentActor, emitting } from '../agents/context.ts'
import type { ReplyWaiter } from '../agents/replies.ts'
import { encodeReply } from '../channels/reqrep.ts'
import type { Serde, TypeArg } from '../channels/serde.ts'
import type { Topic, TopicHost } from '../channels/topic.ts'
import { channels } from '../diagnostics.ts'
import { FaustusError } from '../errors.ts'
import type { StreamJoins } from '../joins/registry.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Event, ReplyRequest } from '../streams/event.ts'
import type { EventQueue, EventSource } from '../streams/queue.ts'
import type { StreamChannel, StreamContext, StreamJoinRequest } from '../streams/types.ts'
import type { TableManager } from '../tables/manager.ts'
import { CopartitionedAssignor } from '../transport/assignor.ts'
import type { ClientMetadata } from '../transport/assignor-metadata.ts'
import type { ConsumedRecord, ProduceRecord, Producer } from '../transport/types.ts'
import type { App } from './app.ts'
import { decodeJsonValue, encodeJsonText, serdeFor } from './codecs.ts'
import { deadLetterTopics, sendDeadLetter, undecodableEvent } from './dead-letter.ts'
import { deferred } from './deferred.ts'
import { type AppExtension, createAppExtensions } from './extensions.ts'
import { applyHeapGrowth } from './heap-growth.ts'
import { LateTopics } from './late-topics.ts'
import { requireTopics } from './required-topics.ts'
import { Runtime } from './runtime.ts'
import type { Settings } from './settings.ts'
import { wireTables } from './table-wiring.ts'
import { Scheduler } from './timers.ts'

export type State = 'idle' | 'starting' | 'running' | 'stopping'

/**
 * The app's running side: hosts topics, agents and streams (the interfaces they declare), and starts and stops
 * everything in order. Start: transport → topics → agents → consumer → tasks and timers. Stop is the reverse,
 * draining in-flight events and committing before the consumer leaves.
 */
export class AppServices implements TopicHost, AgentHost, StreamContext {
  readonly runtime: Runtime
  /** The app's tables: stores, changelogs, recovery and standbys. */
  readonly tables: TableManager
  /** Windowed stream–stream joins and their state tables. */
  readonly joins: StreamJoins
  readonly #app: App
  readonly #scheduler: Scheduler
  state: State = 'idle'
  #leader = false
  #done = deferred()
  #tasks: Promise<unknown>[] = []
  #crash: Error | undefined
  #keepAlive: NodeJS.Timeout | undefined
  /** The transport is closing (last step of stop): nothing may send any more. */
  #closing = false
  #everStarted = false
  #starting: Promise<void> | undefined
  #stopping: Promise<void> | undefined
  /** Topics declared while running, created before their first send. */
  readonly #lateTopics: LateTopics
  #extensions: AppExtension[] = []
  #assignor: CopartitionedAssignor | undefined
  /** This worker's web url, announced to the group (Faust's `canonical_url`); set by the web server. */
  webUrl = ''

  constructor(app: App) {
    this.#app = app
    this.runtime = new Runtime({
      appId: app.id,
      groupId: app.groupId,
      settings: app.settings,
      log: app.log,
      get clock() {
        return app.clock
      },
      declaredTopics: () => new Set(app.topics.values()),
      decodeReplyValue: decodeJsonValue,
      onUndecodable: (error, record) => this.#onUndecodable(error, record),
      onConsumerError: (error) => this.crash(error instanceof Error ? error : new Error(String(error))),
      assignor: () => {
        const options = this.tables.tables.size > 0 ? this.tables.assignorOptions() : {}
        this.#assignor = new CopartitionedAssignor({ ...options, url: this.webUrl })
        return this.#assignor
      },
    })
    this.#lateTopics = new LateTopics(this.runtime)
    ;({ tables: this.tables, joins: this.joins } = wireTables(app, this.runtime, (error) => this.crash(error)))
    this.#scheduler = new Scheduler(
      app.log,
      () => this.#leader,
      () => app.clock,
    )
    this.runtime.conductor.addListener({
      onAssigned: (assignment) => {
        this.#leader = assignment.actives.some((tp) => tp.topic === this.leaderTopic && tp.partition === 0)
      },
    })
  }

  /** Settles when the app stops: rejected with the crash error if it crashed. */
  get done(): Promise<void> {
    return this.#done.promise
  }
  get appId(): string {
    return this.#app.id
  }
  get log(): Logger {
    return this.#app.log
  }
  get settings(): Settings {
    return this.#app.settings
  }
  get defaultPartitions(): number {
    return this.settings.topicPartitions
  }
  get defaultReplicas(): number {
    return this.settings.topicReplicationFactor
  }
  get useReplyHeaders(): boolean {
    return this.settings.useReplyHeaders
  }
  get askTimeoutMs(): number {
    return this.settings.askTimeoutMs
  }
  get mapMaxInFlight(): number {
    return this.settings.mapMaxInFlight
  }

  /**
   * Sends need a started app: before `start()` nothing answers an ask (and a send would open a connection nobody
   * closes), after `stop()` the transport is closed. While stopping, agents draining their buffers may still send.
   */
  assertCanSend(operation: string): void {
    if (this.state === 'starting' || this.state === 'running' || (this.state === 'stopping' && !this.#closing)) return
    const when = this.#everStarted ? 'after app.stop()' : 'before app.start()'
    throw new FaustusError('FST_APP_NOT_STARTED', `${operation} ${when}: the app "${this.appId}" is not running`, {
      details: { operation, state: this.state },
    })
  }
  get streamContext(): StreamContext {
    return this
  }
  /** Faust's leader topic: whoever is assigned its partition 0 runs `onLeader` timers. */
  get leaderTopic(): string {
    return `${this.#app.id}-__assignor-__leader`
  }
  get isLeader(): boolean {
    return this.#leader
  }
  /** What the group protocol last told this member: its assignment, the members' urls and changelog partitions. */
  get groupMetadata(): ClientMetadata | undefined {
    return this.#assignor?.metadata
  }

  /** The producer, once `topic` (when declared while running) exists with its declared options. */
  async producer(topic?: string): Promise<Producer> {
    if (topic !== undefined) await this.#lateTopics.ready(topic)
    return this.runtime.producer()
  }

  /** Topics declared while running: see `LateTopics`. */
  declareLate(names: readonly string[], options: { partitionsGiven: boolean }): void {
    if (this.state === 'idle' || this.#closing) return
    this.#lateTopics.declare(names, options)
  }

  sendSoon(record: ProduceRecord): Promise<void> | undefined {
    const event = emitting.event
    if (event !== undefined) return this.runtime.sendSoon(record, event, emitting.refused)
    // Sent from an agent's body (`topic.send` while processing an event), when the actor runs in its context (apps
    // with tables): its current event, under the agent's error policy.
    const actor = currentActor()
    const refused = actor?.refused
    const current = refused === undefined ? undefined : actor!.current()
    return this.runtime.sendSoon(record, current, current === undefined ? undefined : refused)
  }

  serde(type: TypeArg, role: 'key' | 'value'): Serde {
    return serdeFor(type, role, this.settings)
  }

  subscribe(topic: Topic<any, any>, queue: EventQueue<any, any>): void {
    this.runtime.conductor.subscribe(topic, queue)
    if (this.state !== 'stopping' && this.runtime.consuming) {
      void this.runtime.resubscribeIfNeeded(this.#extraTopics()).catch((error) => this.crash(error))
    }
  }

  deriveTopic(source: string, options: { prefix: string; suffix: string; partitions?: number }): StreamChannel {
    const name = `${options.prefix}${source}${options.suffix}`
    const existing = this.#app.topics.get(name)
    if (existing) return existing
    const base = this.#app.topics.get(source)
    const topic = base
      ? base.derive({ prefix: options.prefix, suffix: options.suffix, partitions: options.partitions, internal: true })
      : this.#app.topic(name, { partitions: options.partitions, internal: true })
    for (const topicName of topic.names) this.#app.topics.set(topicName, topic.forName(topicName))
    return topic
  }

  partitionsOf(channelName: string): number | undefined {
    return this.#app.topics.get(channelName)?.partitions
  }

  joinStreams(request: StreamJoinRequest): EventSource<unknown, unknown> {
    return this.joins.source(request)
  }

  replyWaiter(): Promise<ReplyWaiter> {
    return this.runtime.replyWaiter()
  }

  async sendReply(request: ReplyRequest, key: unknown, result: unknown): Promise<void> {
    const replyKey = Buffer.isBuffer(key) ? key.toString('utf8') : key
    const value = encodeReply(replyKey, encodeJsonText(result), request.correlationId)
    // Like other outputs, replies do not wait for the broker: the checkpoint does.
    await this.runtime.sendSoon({ topic: request.replyTo, key: null, value }, emitting.event, emitting.refused)
  }

  async deadLetter(topic: string, agent: string, event: Event | undefined, error: unknown): Promise<void> {
    await sendDeadLetter(await this.runtime.producer(), topic, { agent, event, error })
  }

  async #onUndecodable(error: unknown, record: ConsumedRecord): Promise<void> {
    const topic = this.settings.deadLetterTopic
    if (channels.error.hasSubscribers) channels.error.publish(undecodableEvent(this.appId, error, record, topic))
    if (topic === undefined) return
    await sendDeadLetter(await this.runtime.producer(), topic, { record, error })
  }

  watchPartitions(...args: Parameters<AgentHost['watchPartitions']>): void {
    this.runtime.conductor.watchPartitions(...args)
  }

  /** Topics the group consumer reads besides those streams read: the leader topic, table changelogs. */
  #extraTopics(): string[] {
    return [this.leaderTopic, ...this.tables.changelogTopics()]
  }

  crash(error: Error): void {
    if (this.#crash !== undefined) return
    this.#crash = error
    this.log.error({ ...errorFields(error) }, 'app crashed')
    // While starting, `start()` sees the crash at its next step and fails with it (stopping here would race it).
    if (this.state === 'starting') return
    this.stop().catch((stopError) => this.log.error({ ...errorFields(stopError) }, 'stop after crash failed'))
  }

  /** Starts once; a second call while starting shares the first's outcome. */
  start(options: { client?: boolean }): Promise<void> {
    if (this.#starting !== undefined) return this.#starting
    // A start during a stop starts again once stopped (it used to return at once, with nothing running).
    if (this.#stopping !== undefined) return this.#stopping.catch(() => {}).then(() => this.start(options))
    if (this.state !== 'idle') return Promise.resolve()
    const starting = this.#start(options).finally(() => {
      this.#starting = undefined
    })
    this.#starting = starting
    return starting
  }

  async #start(options: { client?: boolean }): Promise<void> {
    this.state = 'starting'
    this.#everStarted = true
    this.#closing = false
    this.#crash = undefined
    if (this.#done.settled) this.#done = deferred()
    // A task or consumer may crash the app between any two steps: the start then fails with that error.
    const step = async <T>(work: Promise<T> | T): Promise<T> => {
      const result = await work
      if (this.#crash !== undefined) throw this.#crash
      return result
    }
    try {
      const exactlyOnce = !options.client && this.settings.processingGuarantee === 'exactly_once'
      await step(this.runtime.connect({ exactlyOnce }))
      // Under exactly-once, local state may hold changes of a transaction that never committed: rebuild it.
      this.tables.rebuildOnAssign = exactlyOnce
      this.tables.closedWindowTombstones.defer = !exactlyOnce
      if (!options.client) {
        applyHeapGrowth(this.settings.workerHeapGrowthPercent)
        this.#app.topic(this.leaderTopic, { partitions: 1, internal: true })
        // Dead-letter topics are declared topics: created at start, or refused now if topics may not be created.
        const deadLetters = deadLetterTopics(this.settings.deadLetterTopic, this.#app.agents.values())
        for (const name of deadLetters) if (!this.#app.topics.has(name)) this.#app.topic(name, { valueType: 'raw' })
        // Declared topics exist before any agent or task can send to them (a send would auto-create them).
        await step(this.runtime.ensureTopics())
        // Without topicAllowDeclare, they must exist already: start fails naming those missing.
        if (!this.settings.topicAllowDeclare) {
          await step(requireTopics(await this.runtime.connect(), deadLetters, 'dead-letter topic'))
        }
        for (const agent of this.#app.agents.values()) agent.start()
        for (const task of this.#app.tasks) this.#tasks.push(this.#runTask(task))
        // Let agents and tasks run to their first read, so the topics they read (and derive, as groupBy does)
        // are in the subscription from the first join.
        await step(new Promise((resolve) => setImmediate(resolve)))
      }
      await step(this.runtime.ensureTopics())
      if (!options.client) {
        // Stores open (and lock) before the consumer joins: the first assignment recovers into them.
        await step(this.tables.start())
        for (const topic of this.tables.changelogTopics()) {
          this.runtime.conductor.divert(topic, (records) => this.tables.onChangelogRecords(records))
        }
        this.#extensions = createAppExtensions(this.#app, { client: false })
        for (const extension of this.#extensions) await step(extension.start())
        await step(this.runtime.startConsumer(this.#extraTopics()))
        for (const job of this.#app.jobs) this.#scheduler.add(job)
        this.#scheduler.start()
      }
      // An in-memory broker holds no socket open: keep the process alive while a worker runs, as Kafka's would.
      if (!options.client) this.#keepAlive = setInterval(() => {}, 2 ** 30)
      this.state = 'running'
      this.log.info({ app: this.appId, broker: this.settings.broker, client: !!options.client }, 'app started')
    } catch (error) {
      await this.#shutdown().catch((stopError) =>
        this.log.error({ ...errorFields(stopError) }, 'stop after a failed start failed'),
      )
      throw error
    }
  }

  /** The runs of the app's tasks since start, in `app.tasks` order (the test driver awaits tasks that end). */
  get taskRuns(): readonly Promise<unknown>[] {
    return this.#tasks
  }

  async #runTask(task: { name: string; fn: () => Promise<unknown> | unknown }): Promise<void> {
    try {
      await task.fn()
    } catch (error) {
      this.crash(new FaustusError('FST_AGENT_CRASHED', `task "${task.name}" failed`, { cause: error }))
    }
  }

  /** Stops gracefully; called while starting, it waits for the start to end first. */
  async stop(): Promise<void> {
    if (this.#starting !== undefined) await this.#starting.catch(() => {})
    // A second stop while stopping settles with the first.
    if (this.#stopping !== undefined) return this.#stopping
    if (this.state !== 'running') return
    await this.#shutdown()
  }

  #shutdown(): Promise<void> {
    const stopping = this.#shutdownSteps().finally(() => {
      this.#stopping = undefined
    })
    this.#stopping = stopping
    return stopping
  }

  async #shutdownSteps(): Promise<void> {
    this.state = 'stopping'
    clearInterval(this.#keepAlive)
    const settings = this.settings
    let failure: unknown
    try {
      await this.#scheduler.stop()
      // Drain: no new fetches, let actors finish what is buffered, flush and commit, then leave the group.
      this.runtime.pauseFetching()
      const agents = [...this.#app.agents.values()]
      // A crashed app does not drain: its actors may be gone; what they did not ack is read again after restart.
      const drainMs = this.#crash ? 0 : settings.stopTimeoutMs
      const actorsDeadline = Date.now() + settings.stopTimeoutMs
      if (this.#crash) this.runtime.conductor.revokeWaitMs = 0
      const drained = await this.runtime.drain(() => agents.every((a) => a.buffered === 0), drainMs)
      if (!drained && !this.#crash) this.log.warn({ timeoutMs: drainMs }, 'stop: drain deadline passed')
      await this.runtime.stopConsumer()
      const finished = await Promise.all(agents.map((agent) => agent.stop(Math.max(0, actorsDeadline - Date.now()))))
      const stuck = agents.filter((_, i) => !finished[i]).map((agent) => agent.name)
      // Their held events were not acked, so not committed: the next owner of the partitions reads them again.
      if (stuck.length > 0)
        this.log.warn({ agents: stuck, timeoutMs: settings.stopTimeoutMs }, 'stop: agents still busy at the deadline')
      // Tasks reading streams see them end; a task doing anything else must watch `app.running` itself.
      this.runtime.conductor.closeQueues()
      await this.tables.stop()
    } catch (error) {
      failure = error
    }
    // The transport closes even when a step above failed: an open connection would keep the process alive.
    this.#closing = true
    try {
      await this.runtime.close()
    } catch (error) {
      failure ??= error
    }
    this.#tasks = []
    this.#lateTopics.clear()
    for (const extension of this.#extensions.splice(0)) await extension.stop()
    this.state = 'idle'
    this.runtime.conductor.revokeWaitMs = settings.revokeTimeoutMs
    this.log.info({ app: this.appId, crashed: this.#crash !== undefined }, 'app stopped')
    this.#done.settle(this.#crash ?? (failure as Error | undefined))
    if (failure !== undefined) throw failure
  }
}
