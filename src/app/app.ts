import type { AgentFunction } from '../agents/actor.ts'
import { Agent, type AgentHost, type AgentOptions } from '../agents/agent.ts'
import { Channel } from '../channels/channel.ts'
import type { TypeOf } from '../channels/serde.ts'
import type { TopicOptions } from '../channels/topic.ts'
import { Topic } from '../channels/topic.ts'
import { type Clock, realClock } from '../clock.ts'
import { FaustusError } from '../errors.ts'
import { createLogger, type Logger } from '../logging.ts'
import type { Collection } from '../tables/collection.ts'
import type { ChangelogSpec } from '../tables/collection-host.ts'
import type { RecoveryStats } from '../tables/manager.ts'
import { SetGlobalTable, SetTable } from '../tables/set-table.ts'
import { GlobalTable, Table } from '../tables/table.ts'
import type { CollectionOptions, TableOptions } from '../tables/types.ts'
import type { Command, CommandParams, CommandSpec } from './commands.ts'
import { definePage, type Page, type PageHandler, type PageOptions, type PageView } from './pages.ts'
import { AppServices, type State as AppState } from './services.ts'
import { resolveSettings, type Settings, type SettingsInput, secretValues } from './settings.ts'
import { type AppStats, appStats } from './stats.ts'
import type { ScheduledJob, TimerOptions } from './timers.ts'

export const APP_BRAND = Symbol.for('faustus.app')

export type { AppState }

const servicesByApp = new WeakMap<App, AppServices>()

/**
 * The running side of `app`, for Faustus' own modules (web server, test driver, declarative outputs); not part of
 * the public API. Users and tests read what they need through the app's public methods.
 */
export function appServices(app: App): AppServices {
  return servicesByApp.get(app)!
}

export interface AppOptions extends SettingsInput {
  /** A logger to use instead of the default pino logger on stderr. */
  logger?: Logger
}

type TopicArgs<O> = [string, ...string[]] | [string, ...(string | O)[]]

/**
 * A Faustus application: the topics, channels, agents, tasks, timers and commands of one service, and the
 * runtime that runs them. Definitions are made before `start()`.
 */
export class App {
  readonly [APP_BRAND] = true
  readonly id: string
  readonly settings: Settings
  readonly log: Logger
  readonly agents = new Map<string, Agent<any, any, any>>()
  readonly topics = new Map<string, Topic<any, any>>()
  readonly commands = new Map<string, Command<any>>()
  readonly tasks: { name: string; fn: () => Promise<unknown> | unknown }[] = []
  readonly jobs: ScheduledJob[] = []
  /** Web pages (`app.page`), mounted by the web server. */
  readonly pages: Page[] = []
  readonly #services: AppServices
  /**
   * Where timers, crontab jobs and ask timeouts read time: the real clock unless replaced before `start()` (the
   * test driver of `faustus/testing` sets a virtual one).
   */
  clock: Clock = realClock

  constructor(id: string, options: AppOptions = {}) {
    if (typeof id !== 'string' || id.length === 0) {
      throw new FaustusError('FST_APP_DEFINITION', 'an app needs a non-empty id')
    }
    const { logger, ...settings } = options
    this.id = id
    const warnings: [string, Record<string, unknown>][] = []
    this.settings = resolveSettings(settings, process.env, {
      warn: (message, details) => warnings.push([message, details]),
    })
    this.log =
      logger ??
      createLogger({
        level: this.settings.logLevel as never,
        name: id,
        format: this.settings.logFormat,
        secrets: secretValues(this.settings),
      })
    for (const [message, details] of warnings) this.log.warn(details, message)
    this.#services = new AppServices(this)
    servicesByApp.set(this, this.#services)
  }

  /** The consumer group id: the app id, with `-v{version}` when the version is above 1 (as Faust). */
  get groupId(): string {
    return this.settings.version > 1 ? `${this.id}-v${this.settings.version}` : this.id
  }

  /**
   * Describes one or more topics (the first name is where sends go), with options last:
   * `app.topic('adding', { valueType: Add })`, `app.topic('a', 'b', { partitions: 4 })`.
   */
  topic<const O extends TopicOptions = {}>(...args: TopicArgs<O>): Topic<TypeOf<O['valueType']>, TypeOf<O['keyType']>> {
    const last = args[args.length - 1]
    const options = (typeof last === 'object' ? last : {}) as O
    const names = (args as unknown[]).filter((arg): arg is string => typeof arg === 'string')
    if (names.length === 0) throw new FaustusError('FST_APP_DEFINITION', 'a topic needs at least one name')
    const known = names.every((name) => this.topics.has(name))
    const topic = new Topic<TypeOf<O['valueType']>, TypeOf<O['keyType']>>(this.#services, names, {
      maxsize: this.settings.streamBufferMaxsize,
      maxBytes: this.settings.streamBufferMaxBytes,
      ...options,
    })
    if (this.#services.state === 'idle') {
      this.#registerTopic(topic)
    } else if (!known) {
      // Declared while running (Faust allows it, to send to a topic): created with its options before its first
      // send, rather than auto-created by the broker with defaults. A handle on a known topic changes nothing.
      this.#registerTopic(topic)
      this.#services.declareLate(topic.names, { partitionsGiven: options.partitions !== undefined })
    }
    return topic
  }

  /**
   * Definitions are read once, at start: an agent, table, task or timer defined later would never run. So they are
   * refused until the app is stopped again. (Topics may be declared late: they are created on first use.)
   */
  #assertDefining(what: string): void {
    if (this.#services.state === 'idle') return
    throw new FaustusError(
      'FST_APP_DEFINITION',
      `${what} defined after app.start(): define agents, tables, tasks and timers before starting the app`,
      { details: { state: this.#services.state } },
    )
  }

  #registerTopic(topic: Topic<any, any>): void {
    // Each name maps to a topic that sends to that name (a multi-name topic sends to its first).
    for (const name of topic.names) this.topics.set(name, topic.forName(name))
  }

  /** An in-process channel: no transport, no serialization. */
  channel<V = unknown, K = unknown>(options: { name?: string; maxsize?: number } = {}): Channel<V, K> {
    return new Channel<V, K>({ maxsize: this.settings.streamBufferMaxsize, ...options })
  }

  /**
   * Defines an agent over `channel` (a topic or channel); without one it reads its own topic `{id}-{name}`.
   * The function gets the stream; what it yields goes to askers and sinks.
   */
  agent<V = unknown, K = unknown, R = unknown>(fn: AgentFunction<V, K, R>, options?: AgentOptions<R>): Agent<V, K, R>
  agent<V, K, R>(
    channel: Topic<V, K> | Channel<V, K>,
    fn: AgentFunction<V, K, R>,
    options?: AgentOptions<R>,
  ): Agent<V, K, R>
  /** An untyped (JSON or raw) channel can feed an agent whose stream the function annotates. */
  agent<V, K, R>(
    channel: Topic<unknown, any> | Channel<unknown, any>,
    fn: AgentFunction<V, K, R>,
    options?: AgentOptions<R>,
  ): Agent<V, K, R>
  agent(a: unknown, b?: unknown, c?: unknown): Agent<any, any, any> {
    const hasChannel = typeof a !== 'function'
    const fn = (hasChannel ? b : a) as AgentFunction<any, any, any>
    const options = ((hasChannel ? c : b) ?? {}) as AgentOptions<any>
    if (typeof fn !== 'function') throw new FaustusError('FST_APP_DEFINITION', 'app.agent needs a function')
    const name = options.name ?? fn.name
    if (!name) throw new FaustusError('FST_APP_DEFINITION', 'an anonymous agent function needs { name }')
    this.#assertDefining(`agent "${name}"`)
    if (this.agents.has(name)) throw new FaustusError('FST_APP_DEFINITION', `agent "${name}" is already defined`)
    const channel = hasChannel
      ? (a as Topic<any, any> | Channel<any, any>)
      : this.topic(`${this.id}-${name}`, { keyType: options.keyType, valueType: options.valueType })
    const agent = new Agent(this.#services as AgentHost, channel, fn, { ...options, name })
    const deadLetter = typeof options.onError === 'object' ? options.onError.deadLetter : undefined
    if (deadLetter !== undefined && !this.topics.has(deadLetter)) this.topic(deadLetter, { valueType: 'raw' })
    this.agents.set(name, agent)
    return agent
  }

  /** The app's tables, by name (Table, GlobalTable, SetTable, SetGlobalTable). */
  get tables(): ReadonlyMap<string, Collection> {
    return this.#services.tables.tables
  }

  /**
   * A partitioned table backed by a changelog topic `{id}-{name}-changelog` (Faust's `app.Table`):
   * `app.table<string, number>('counts', { default: () => 0 })`. Write it from agents reading a stream keyed by the
   * table key (groupBy first).
   */
  table<K = unknown, V = unknown>(name: string, options: TableOptions<V> = {}): Table<K, V> {
    this.#assertDefining(`table "${name}"`)
    return this.#services.tables.add(new Table<K, V>(this.#services.tables, name, options))
  }

  /** A table every worker holds in full (Faust's `app.GlobalTable`). */
  globalTable<K = unknown, V = unknown>(name: string, options: TableOptions<V> = {}): GlobalTable<K, V> {
    this.#assertDefining(`table "${name}"`)
    return this.#services.tables.add(new GlobalTable<K, V>(this.#services.tables, name, options))
  }

  /** A table of sets with add/discard (Faust's `app.SetTable`). */
  setTable<K = unknown, M = unknown>(name: string, options: CollectionOptions = {}): SetTable<K, M> {
    this.#assertDefining(`table "${name}"`)
    return this.#services.tables.add(new SetTable<K, M>(this.#services.tables, name, options))
  }

  /** A set table every worker holds in full (Faust's `app.SetGlobalTable`). */
  setGlobalTable<K = unknown, M = unknown>(name: string, options: CollectionOptions = {}): SetGlobalTable<K, M> {
    this.#assertDefining(`table "${name}"`)
    return this.#services.tables.add(new SetGlobalTable<K, M>(this.#services.tables, name, options))
  }

  /** Declares a table's changelog topic, or updates it (a window sets its retention). Internal. */
  declareChangelog(name: string, spec: ChangelogSpec): void {
    const existing = this.topics.get(name)
    if (existing !== undefined) {
      Object.assign(existing.options, spec)
      return
    }
    this.topic(name, { ...spec, keyType: 'json', valueType: 'json', internal: true })
  }

  /** A function started with the app (e.g. iterating `topic.stream()` without an agent). */
  task(fn: () => Promise<unknown> | unknown, options: { name?: string } = {}): typeof fn {
    this.#assertDefining(`task "${options.name ?? fn.name ?? 'task'}"`)
    this.tasks.push({ name: options.name ?? fn.name ?? 'task', fn })
    return fn
  }

  /** Runs `fn` every `intervalMs` while the app runs. */
  timer(intervalMs: number, fn: () => Promise<unknown> | unknown, options: TimerOptions = {}): typeof fn {
    if (!(intervalMs > 0)) throw new FaustusError('FST_APP_DEFINITION', 'a timer interval must be positive')
    this.#assertDefining(`timer "${options.name ?? fn.name ?? 'timer'}"`)
    this.jobs.push({ name: options.name ?? fn.name ?? 'timer', schedule: { intervalMs }, fn, options })
    return fn
  }

  /** Runs `fn` on a cron schedule (`'0 * * * *'`) while the app runs. */
  crontab(
    cron: string,
    fn: () => Promise<unknown> | unknown,
    options: TimerOptions & { timezone?: string } = {},
  ): typeof fn {
    this.#assertDefining(`crontab "${options.name ?? fn.name ?? 'crontab'}"`)
    this.jobs.push({
      name: options.name ?? fn.name ?? 'crontab',
      schedule: { cron, timezone: options.timezone },
      fn,
      options,
    })
    return fn
  }

  /**
   * A web page served by each worker's web server (Faust's `@app.page`): `app.page('/count/{word}', (req) => ...)`.
   * The handler gets fastify's request and reply and returns the body; a view object answers several methods.
   */
  page(path: string, handler: PageHandler | PageView, options?: PageOptions): Page {
    const page = definePage(path, handler, options)
    this.pages.push(page)
    return page
  }

  /** Same as `page`. */
  route(path: string, handler: PageHandler | PageView, options?: PageOptions): Page {
    return this.page(path, handler, options)
  }

  /** A command of the `faustus` CLI: `faustus -A module <name> [args] [--options]`. */
  command<const S extends CommandSpec>(
    name: string,
    spec: S,
    run: (params: CommandParams<S>) => Promise<unknown> | unknown,
  ): Command<S> {
    if (this.commands.has(name)) throw new FaustusError('FST_APP_DEFINITION', `command "${name}" is already defined`)
    const command: Command<S> = { name, spec, run }
    this.commands.set(name, command)
    return command
  }

  /**
   * Faust's `app.main()`: runs the `faustus` command line for this app, so a script is its own CLI
   * (`node app.ts worker -l info`, `node app.ts send_value 4 8`). Sets the exit code and returns it; lingering
   * handles do not keep a finished command alive.
   */
  async main(argv: readonly string[] = process.argv): Promise<number> {
    // On demand: the CLI (commander, the built-in commands) is no part of an app that never calls main().
    const cli = await import('../cli/main.ts')
    const code = await cli.main(argv, {}, { app: this })
    process.exitCode = code
    setTimeout(() => process.exit(code), 3000).unref()
    return code
  }

  /** Starts everything: transport, topics, agents, consumer, tasks, timers. `client` mode only sends and asks. */
  start(options: { client?: boolean } = {}): Promise<void> {
    return this.#services.start(options)
  }

  /** Stops gracefully: drains in-flight events, commits, then stops agents and the transport. */
  stop(): Promise<void> {
    return this.#services.stop()
  }

  /** Resolves when the app stops; rejects with the crash error if an agent crashed it. */
  get done(): Promise<void> {
    return this.#services.done
  }

  get running(): boolean {
    return this.#services.state === 'running'
  }

  /** Where the app is in its life: `idle` (not started, or stopped), `starting`, `running`, `stopping`. */
  get state(): AppState {
    return this.#services.state
  }

  /** This worker holds the leader partition, so `onLeader` timers run here (Faust's `app.is_leader()`). */
  get isLeader(): boolean {
    return this.#services.isLeader
  }

  /** The URL this worker's web server answers on, as announced to the group; `''` when it serves none. */
  get webUrl(): string {
    return this.#services.webUrl
  }

  /** Changelog records read by the last table recovery on this worker, and how long it took. */
  get lastRecovery(): RecoveryStats {
    return { ...this.#services.tables.lastRecovery }
  }

  /** What is in flight now: events being processed, outputs not yet acknowledged, asks waiting for replies. */
  stats(): AppStats {
    return appStats(this.#services)
  }

  /**
   * Commits now what is processed, as the periodic commit does (Faust's `app.commit()`): waits for in-flight outputs
   * and table changes, makes stores durable, then commits the offsets of processed events. Rejects with the error of
   * a failed step (nothing is committed past it; the next commit tries again). Refused unless the app is running.
   */
  async commit(): Promise<void> {
    if (this.#services.state !== 'running') {
      throw new FaustusError('FST_APP_NOT_STARTED', 'app.commit() needs a running app', {
        details: { state: this.#services.state },
      })
    }
    await this.#services.runtime.checkpoint.run('interval')
  }
}

export function isApp(value: unknown): value is App {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[APP_BRAND] === true
}
