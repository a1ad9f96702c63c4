/**
 * What a worker knows about itself, for /ready, /metrics, the dashboard and `faustus status`: group membership
 * and rebalances, recovery progress, recent errors (from the diagnostics channels), and partition lag sampled at
 * an interval from the broker (committed offsets against end offsets), with a few minutes of history.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { App } from '../app/app.ts'
import { appServices } from '../app/app.ts'
import { CHANNEL_NAMES, type ErrorMessage, type RebalanceMessage, type RecoveryMessage } from '../diagnostics.ts'
import { errorFields } from '../logging.ts'
import { type TopicPartition, tpKey } from '../transport/types.ts'

export interface PartitionLag {
  topic: string
  partition: number
  /** Offset of the next record the group will read after a restart (the committed offset; log start if none). */
  committed: number
  /** The partition's end offset (high watermark). */
  end: number
  lag: number
}

export interface RecoveryState {
  table: string
  topic: string
  partition: number
  done: number
  total: number
  finished: boolean
}

export interface AgentState {
  name: string
  topic: string
  eventsIn: number
  eventsOut: number
  errors: number
  /** Events in per second over the last sampling interval. */
  rate: number
}

export interface RecentError extends Omit<ErrorMessage, 'app'> {
  time: number
}

export interface WorkerSnapshot {
  app: string
  url: string
  pid: number
  time: number
  state: string
  ready: boolean
  joined: boolean
  rebalancing: boolean
  recovering: boolean
  leader: boolean
  rebalances: number
  actives: TopicPartition[]
  standbys: TopicPartition[]
  agents: AgentState[]
  lag: PartitionLag[]
  /** Lag over the last minutes per partition: [epoch ms, lag] points. */
  lagHistory: { topic: string; partition: number; points: [number, number][] }[]
  recovery: RecoveryState[]
  tables: { name: string; keys: number; partitions: number; actives: number[]; standbys: number[] }[]
  errors: RecentError[]
  /** Other members' urls, from the group protocol. */
  members: string[]
}

const HISTORY_MS = 5 * 60_000
const MAX_ERRORS = 50

export class WorkerState {
  readonly app: App
  joined = false
  rebalancing = false
  rebalances = 0
  actives: TopicPartition[] = []
  standbys: TopicPartition[] = []
  readonly recovery = new Map<string, RecoveryState>()
  readonly errors: RecentError[] = []
  /** Lag samples per partition: [time, lag] pairs over the last minutes. */
  readonly history = new Map<string, { topic: string; partition: number; points: [number, number][] }>()
  lag: PartitionLag[] = []
  readonly #lastEventsIn = new Map<string, number>()
  readonly #rates = new Map<string, number>()
  #timer: NodeJS.Timeout | undefined
  #sampling: Promise<void> | undefined
  #lastSample = 0
  readonly #subscriptions: [string, (message: unknown) => void][] = []
  readonly #listeners = new Set<() => void>()

  constructor(
    app: App,
    readonly sampleIntervalMs = 1000,
  ) {
    this.app = app
    this.#on(CHANNEL_NAMES.rebalance, (m: RebalanceMessage) => this.#onRebalance(m))
    this.#on(CHANNEL_NAMES.recovery, (m: RecoveryMessage) => this.#onRecovery(m))
    this.#on(CHANNEL_NAMES.error, (m: ErrorMessage) => {
      const { app: _app, ...rest } = m
      this.errors.push({ ...rest, time: Date.now() })
      if (this.errors.length > MAX_ERRORS) this.errors.shift()
      this.#changed()
    })
  }

  #on<M extends { app?: string }>(name: string, handler: (message: M) => void): void {
    const wrapped = (message: unknown) => {
      if ((message as M).app === this.app.id) handler(message as M)
    }
    subscribe(name, wrapped)
    this.#subscriptions.push([name, wrapped])
  }

  start(): void {
    this.#timer = setInterval(() => void this.sample(), this.sampleIntervalMs)
    this.#timer.unref?.()
  }

  close(): void {
    clearInterval(this.#timer)
    for (const [name, handler] of this.#subscriptions.splice(0)) unsubscribe(name, handler)
    this.#listeners.clear()
  }

  /** Calls `listener` after each sample and state change (the dashboard's live feed). */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #changed(): void {
    for (const listener of this.#listeners) listener()
  }

  #onRebalance(message: RebalanceMessage): void {
    if (message.phase === 'start') {
      this.rebalancing = true
    } else {
      this.rebalancing = false
      this.joined = true
      this.rebalances++
      this.actives = [...(message.actives ?? [])]
      this.standbys = [...(message.standbys ?? [])]
    }
    this.#changed()
  }

  #onRecovery(message: RecoveryMessage): void {
    const key = `${message.table}\u0000${message.partition}`
    if (message.phase === 'start') {
      // A new recovery of this partition replaces the finished one.
      this.recovery.set(key, { ...pick(message), finished: false })
    } else {
      const entry = this.recovery.get(key) ?? { ...pick(message), finished: false }
      entry.done = message.done
      entry.total = message.total
      entry.finished = message.phase === 'end'
      this.recovery.set(key, entry)
    }
    this.#changed()
  }

  get recovering(): boolean {
    for (const entry of this.recovery.values()) if (!entry.finished) return true
    return false
  }

  /** Joined the group, recovered its tables, not in a rebalance, and running. */
  get ready(): boolean {
    return this.app.running && this.joined && !this.rebalancing && !this.recovering
  }

  /** Samples lag from the broker and agent rates; concurrent callers share one sample. */
  sample(): Promise<void> {
    this.#sampling ??= this.#sample().finally(() => {
      this.#sampling = undefined
    })
    return this.#sampling
  }

  async #sample(): Promise<void> {
    const now = Date.now()
    const seconds = this.#lastSample === 0 ? 0 : (now - this.#lastSample) / 1000
    this.#lastSample = now
    for (const agent of this.app.agents.values()) {
      const eventsIn = agent.stats.eventsIn
      const before = this.#lastEventsIn.get(agent.name)
      this.#lastEventsIn.set(agent.name, eventsIn)
      if (before !== undefined && seconds > 0) this.#rates.set(agent.name, Math.max(0, eventsIn - before) / seconds)
    }
    try {
      this.lag = await this.#readLag()
    } catch (error) {
      this.app.log.debug({ ...errorFields(error) }, 'web: lag sample failed')
    }
    for (const entry of this.lag) {
      const key = tpKey(entry)
      let series = this.history.get(key)
      if (series === undefined)
        this.history.set(key, (series = { topic: entry.topic, partition: entry.partition, points: [] }))
      series.points.push([now, entry.lag])
    }
    const current = new Set(this.lag.map(tpKey))
    for (const [key, series] of this.history) {
      // Partitions this worker no longer has leave the chart (their new owner shows them).
      if (!current.has(key)) series.points.length = 0
      while (series.points.length > 0 && series.points[0][0] < now - HISTORY_MS) series.points.shift()
      if (series.points.length === 0) this.history.delete(key)
    }
    this.#changed()
  }

  /** Source partitions this worker processes (changelogs and the leader topic are not consumer lag). */
  #lagPartitions(): TopicPartition[] {
    const internal = new Set([appServices(this.app).leaderTopic, ...appServices(this.app).tables.changelogTopics()])
    return this.actives.filter((tp) => !internal.has(tp.topic))
  }

  async #readLag(): Promise<PartitionLag[]> {
    const runtime = appServices(this.app).runtime
    const consumer = runtime.consumer
    const transport = runtime.transport
    const partitions = this.#lagPartitions()
    if (consumer === undefined || transport === undefined || partitions.length === 0) return []
    const [committed, offsets] = await Promise.all([consumer.committed(partitions), transport.listOffsets(partitions)])
    return offsets.map(({ topic, partition, earliest, latest }) => {
      const position = Math.max(committed.get(tpKey({ topic, partition })) ?? earliest, earliest)
      return { topic, partition, committed: position, end: latest, lag: Math.max(0, latest - position) }
    })
  }

  agents(): AgentState[] {
    return [...this.app.agents.values()].map((agent) => ({
      name: agent.name,
      topic: agent.channel.name ?? '',
      ...agent.stats,
      rate: Math.round(this.#rates.get(agent.name) ?? 0),
    }))
  }

  tables(): WorkerSnapshot['tables'] {
    return [...this.app.tables.values()].map((table) => ({
      name: table.name,
      keys: (table as unknown as { size?: number }).size ?? 0,
      partitions: table.partitions,
      actives: [...table.activePartitions].sort((a, b) => a - b),
      standbys: [...table.standbyPartitions].sort((a, b) => a - b),
    }))
  }

  members(): string[] {
    const own = this.app.webUrl
    const distribution = appServices(this.app).groupMetadata?.changelog_distribution ?? {}
    return Object.keys(distribution).filter((url) => url !== '' && url !== own)
  }

  snapshot(): WorkerSnapshot {
    return {
      app: this.app.id,
      url: this.app.webUrl,
      pid: process.pid,
      time: Date.now(),
      state: this.app.state,
      ready: this.ready,
      joined: this.joined,
      rebalancing: this.rebalancing,
      recovering: this.recovering,
      leader: this.app.isLeader,
      rebalances: this.rebalances,
      actives: this.actives,
      standbys: this.standbys,
      agents: this.agents(),
      lag: this.lag,
      lagHistory: [...this.history.values()],
      recovery: [...this.recovery.values()],
      tables: this.tables(),
      errors: [...this.errors].reverse(),
      members: this.members(),
    }
  }
}

function pick(m: RecoveryMessage) {
  return { table: m.table, topic: m.topic, partition: m.partition, done: m.done, total: m.total }
}
