/**
 * Prometheus metrics of one worker (prom-client, a registry per app): counters and histograms fed by the
 * diagnostics channels, gauges read from the worker's state when scraped. Names and labels are listed in
 * docs/web.md.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import { appServices } from '../app/app.ts'
import {
  type AskMessage,
  CHANNEL_NAMES,
  type CheckpointMessage,
  type CommitMessage,
  type ErrorMessage,
  type FetchMessage,
  type ProcessMessage,
  type RebalanceMessage,
} from '../diagnostics.ts'
import type { WorkerState } from './state.ts'

const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]
const SLOW_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60]

export class WorkerMetrics {
  readonly registry = new Registry()
  readonly #subscriptions: [string, (message: unknown) => void][] = []

  constructor(state: WorkerState, options: { defaultMetrics?: boolean } = {}) {
    const app = state.app
    const registers = [this.registry]
    if (options.defaultMetrics !== false) {
      // Memory, CPU, event-loop lag (nodejs_eventloop_lag_*), GC, handles.
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 20 })
    }

    const received = new Counter({
      name: 'faustus_events_received_total',
      help: 'Records consumed from the group, per topic',
      labelNames: ['topic'],
      registers,
    })
    new Counter({
      name: 'faustus_agent_events_in_total',
      help: "Events handed to an agent's actors",
      labelNames: ['agent', 'topic'],
      registers,
      collect() {
        this.reset()
        for (const agent of state.agents()) this.inc({ agent: agent.name, topic: agent.topic }, agent.eventsIn)
      },
    })
    new Counter({
      name: 'faustus_agent_events_out_total',
      help: 'Results an agent yielded (to askers and sinks)',
      labelNames: ['agent'],
      registers,
      collect() {
        this.reset()
        for (const agent of state.agents()) this.inc({ agent: agent.name }, agent.eventsOut)
      },
    })
    const processing = new Histogram({
      name: 'faustus_agent_processing_seconds',
      help: 'Time an agent spent on an event, from hand-out to its next read (sampled: the first, then 1 in 32)',
      labelNames: ['agent'],
      buckets: LATENCY_BUCKETS,
      registers,
    })
    new Gauge({
      name: 'faustus_consumer_lag',
      help: 'Records between the committed offset and the end of the partition, per assigned partition',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const p of state.lag) this.set({ topic: p.topic, partition: p.partition }, p.lag)
      },
    })
    new Gauge({
      name: 'faustus_consumer_committed_offset',
      help: 'Committed offset (next record to read) per assigned partition',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const p of state.lag) this.set({ topic: p.topic, partition: p.partition }, p.committed)
      },
    })
    new Gauge({
      name: 'faustus_partition_end_offset',
      help: 'End offset (high watermark) per assigned partition',
      labelNames: ['topic', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const p of state.lag) this.set({ topic: p.topic, partition: p.partition }, p.end)
      },
    })
    new Gauge({
      name: 'faustus_assigned_partitions',
      help: 'Partitions assigned to this worker, active or standby',
      labelNames: ['kind'],
      registers,
      collect() {
        this.set({ kind: 'active' }, state.actives.length)
        this.set({ kind: 'standby' }, state.standbys.length)
      },
    })
    const commits = new Counter({ name: 'faustus_commits_total', help: 'Offset commits', registers })
    const committedPartitions = new Counter({
      name: 'faustus_committed_partitions_total',
      help: 'Partition offsets committed',
      registers,
    })
    const commitSeconds = new Histogram({
      name: 'faustus_commit_seconds',
      help: 'Duration of an offset commit request',
      buckets: SLOW_BUCKETS,
      registers,
    })
    const checkpointSeconds = new Histogram({
      name: 'faustus_checkpoint_seconds',
      help: 'Duration of a checkpoint (flush outputs, stores durable, commit)',
      labelNames: ['result'],
      buckets: SLOW_BUCKETS,
      registers,
    })
    const rebalances = new Counter({ name: 'faustus_rebalances_total', help: 'Rebalances completed', registers })
    const rebalanceSeconds = new Histogram({
      name: 'faustus_rebalance_seconds',
      help: 'Rebalance duration: revoke (or first join) until the new assignment is handled and tables recovered',
      buckets: SLOW_BUCKETS,
      registers,
    })
    new Gauge({
      name: 'faustus_ready',
      help: '1 when joined, recovered and not rebalancing (as /ready)',
      registers,
      collect() {
        this.set(state.ready ? 1 : 0)
      },
    })
    new Gauge({
      name: 'faustus_rebalancing',
      help: '1 during a rebalance',
      registers,
      collect() {
        this.set(state.rebalancing ? 1 : 0)
      },
    })
    new Gauge({
      name: 'faustus_recovery_records_done',
      help: 'Changelog records applied by the current (or last) recovery, per table partition',
      labelNames: ['table', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const r of state.recovery.values()) this.set({ table: r.table, partition: r.partition }, r.done)
      },
    })
    new Gauge({
      name: 'faustus_recovery_records_total',
      help: 'Changelog records the current (or last) recovery has to apply, per table partition',
      labelNames: ['table', 'partition'],
      registers,
      collect() {
        this.reset()
        for (const r of state.recovery.values()) this.set({ table: r.table, partition: r.partition }, r.total)
      },
    })
    new Gauge({
      name: 'faustus_recovering',
      help: '1 while a table recovery runs',
      registers,
      collect() {
        this.set(state.recovering ? 1 : 0)
      },
    })
    new Gauge({
      name: 'faustus_table_keys',
      help: 'Keys in the partitions of a table this worker serves',
      labelNames: ['table'],
      registers,
      collect() {
        this.reset()
        for (const t of state.tables()) this.set({ table: t.name }, t.keys)
      },
    })
    const ask = new Histogram({
      name: 'faustus_ask_seconds',
      help: 'Ask round trip, from send to reply',
      labelNames: ['agent', 'result'],
      buckets: SLOW_BUCKETS,
      registers,
    })
    const errors = new Counter({
      name: 'faustus_errors_total',
      help: 'Errors handled without stopping: agent exceptions and undecodable records, by code',
      labelNames: ['code', 'agent'],
      registers,
    })
    const deadLettered = new Counter({
      name: 'faustus_dead_lettered_total',
      help: 'Records sent to a dead-letter topic, by code',
      labelNames: ['code', 'topic'],
      registers,
    })
    new Gauge({
      name: 'faustus_producer_in_flight',
      help: 'Records handed to the producer and not yet acknowledged by the broker',
      registers,
      collect() {
        this.set(appServices(app).runtime.outputsInFlight.inFlight)
      },
    })
    new Gauge({
      name: 'faustus_producer_buffered',
      help: 'Records produced by agents and not yet handed to the producer (batched per event-loop turn)',
      registers,
      collect() {
        this.set(appServices(app).runtime.outputsInFlight.buffered)
      },
    })

    this.#on(CHANNEL_NAMES.fetch, app.id, (m: FetchMessage) => {
      // Records come in runs of one partition: one increment per run.
      const records = m.records
      let i = 0
      while (i < records.length) {
        const topic = records[i].topic
        let j = i + 1
        while (j < records.length && records[j].topic === topic) j++
        received.inc({ topic }, j - i)
        i = j
      }
    })
    this.#on(CHANNEL_NAMES.process, app.id, (m: ProcessMessage) => processing.observe({ agent: m.agent }, m.seconds))
    this.#on(CHANNEL_NAMES.commit, app.id, (m: CommitMessage) => {
      commits.inc()
      committedPartitions.inc(m.offsets.length)
      commitSeconds.observe(m.seconds)
    })
    this.#on(CHANNEL_NAMES.checkpoint, app.id, (m: CheckpointMessage) =>
      checkpointSeconds.observe({ result: m.error === undefined ? 'ok' : 'failed' }, m.seconds),
    )
    this.#on(CHANNEL_NAMES.rebalance, app.id, (m: RebalanceMessage) => {
      if (m.phase !== 'end') return
      rebalances.inc()
      if (m.seconds !== undefined) rebalanceSeconds.observe(m.seconds)
    })
    this.#on(CHANNEL_NAMES.ask, app.id, (m: AskMessage) =>
      ask.observe({ agent: m.agent, result: m.error === undefined ? 'ok' : 'failed' }, m.seconds),
    )
    this.#on(CHANNEL_NAMES.error, app.id, (m: ErrorMessage) => {
      errors.inc({ code: m.code, agent: m.agent ?? '' })
      if (m.deadLetter !== undefined) deadLettered.inc({ code: m.code, topic: m.deadLetter })
    })
  }

  #on<M extends { app?: string }>(name: string, appId: string, handler: (message: M) => void): void {
    const wrapped = (message: unknown) => {
      if ((message as M).app === appId) handler(message as M)
    }
    subscribe(name, wrapped)
    this.#subscriptions.push([name, wrapped])
  }

  /** The text exposition (what /metrics serves). */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  close(): void {
    for (const [name, handler] of this.#subscriptions.splice(0)) unsubscribe(name, handler)
    this.registry.clear()
  }
}
