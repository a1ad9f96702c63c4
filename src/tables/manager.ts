import type { Serde } from '../channels/serde.ts'
import { FaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import { storeProvider } from '../stores/provider.ts'
import type { Store, StoreProvider } from '../stores/types.ts'
import type { CopartitionedAssignorOptions } from '../transport/assignor.ts'
import type {
  Assignment,
  ConsumedRecord,
  Consumer,
  Producer,
  RecordMetadata,
  TopicPartition,
  TopicPartitionOffset,
  Transport,
} from '../transport/types.ts'
import { ChangelogWriter } from './changelog.ts'
import type { ChangeOwner } from './changelog-cache.ts'
import { ClosedWindowTombstones } from './closed-tombstones.ts'
import type { Collection } from './collection.ts'
import type { ChangelogSpec, CollectionHost } from './collection-host.ts'
import { RebuildAhead, type RebuildAheadHost, rolledBack } from './rebuild-ahead.ts'
import { replayChangelogs } from './recovery.ts'
import { SourcePartitions } from './source-partitions.ts'

/** Least time between two store flushes at checkpoints triggered by the ack count (see `afterFlush`). */
const STORE_FLUSH_MS = 2500

/** What the table manager needs from the app. */
export interface TableManagerHost {
  readonly appId: string
  readonly log: Logger
  readonly defaultPartitions: number
  /** The app's `store` setting. */
  readonly storeUrl: string
  declareTopic(name: string, spec: ChangelogSpec): void
  transport(): Transport | undefined
  producer(): Promise<Producer>
  /** The app's group consumer (to pause active changelog partitions and seek standby ones). */
  consumer(): Consumer | undefined
  /** The app clock's time; default the wall clock. */
  now?(): number
  /** Key codec and partition count of a topic the app reads (for the key-partition check). */
  sourceTopic(name: string): { keySerde: Serde; partitions: number } | undefined
  crash(error: Error): void
  /**
   * A changelog write failed (the failure also fails the next checkpoint). Default `crash`; under exactly-once the
   * runtime rewinds instead when the broker may come back.
   */
  changelogFailed?(error: Error): void
}

export interface TableManagerOptions {
  /** Recovery reporting FST_RECOVERY_STALLED after this long without a record. Default 60 s. */
  recoveryStallMs?: number
  /** Progress on the terminal during recovery (default: when stderr is a TTY). */
  tty?: boolean
  /** Bytes of changelog records coalesced until the checkpoint (the `tableCacheMaxBytes` setting); 0: none. */
  cacheMaxBytes?: number
}

/** Counters of the last recovery, for logs and tests. */
export interface RecoveryStats {
  /** Changelog records read by the last recovery. */
  records: number
  durationMs: number
}

/**
 * The tables of one app: their stores (opened before the consumer joins), the changelog writer (flushed as step 1
 * of each checkpoint), recovery of active partitions on assignment (before fetching resumes), standby partitions
 * followed through the group consumer, and the assignor's view of which topics are changelogs.
 */
export class TableManager implements CollectionHost, RebuildAheadHost {
  readonly tables = new Map<string, Collection>()
  readonly #host: TableManagerHost
  readonly #byTopic = new Map<string, Collection>()
  readonly #providers = new Map<string, StoreProvider>()
  readonly #writer: ChangelogWriter

  now(): number {
    return this.#host.now?.() ?? Date.now()
  }
  readonly #options: Required<Omit<TableManagerOptions, 'tty' | 'cacheMaxBytes'>> & { tty?: boolean }
  #started = false
  lastRecovery: RecoveryStats = { records: 0, durationMs: 0 }

  constructor(host: TableManagerHost, options: TableManagerOptions = {}) {
    this.#host = host
    this.#options = { recoveryStallMs: options.recoveryStallMs ?? 60_000, tty: options.tty }
    this.#writer = new ChangelogWriter({
      onWritten: (metadata) => this.#onWritten(metadata),
      onError: (error) => {
        const failure = new FaustusError('FST_TRANSPORT', 'a table changelog write failed', { cause: error })
        if (host.changelogFailed) host.changelogFailed(failure)
        else host.crash(failure)
      },
    })
  }

  configure(options: TableManagerOptions): void {
    if (options.recoveryStallMs !== undefined) this.#options.recoveryStallMs = options.recoveryStallMs
    if (options.tty !== undefined) this.#options.tty = options.tty
    if (options.cacheMaxBytes !== undefined) this.#writer.cacheMaxBytes = options.cacheMaxBytes
  }

  get appId(): string {
    return this.#host.appId
  }
  get log(): Logger {
    return this.#host.log
  }
  get defaultPartitions(): number {
    return this.#host.defaultPartitions
  }

  /** Whether the stores are open (tables can no longer be added). */
  get started(): boolean {
    return this.#started
  }

  add<C extends Collection>(collection: C): C {
    if (this.tables.has(collection.name)) {
      throw new FaustusError('FST_APP_DEFINITION', `table "${collection.name}" is already defined`)
    }
    this.tables.set(collection.name, collection)
    this.#byTopic.set(collection.changelogTopic, collection)
    return collection
  }

  changelogTopics(): string[] {
    return [...this.#byTopic.keys()]
  }

  isChangelog(topic: string): boolean {
    return this.#byTopic.has(topic)
  }

  /** Standbys for the tables that want them; global tables' changelogs followed in full by every member. */
  assignorOptions(): CopartitionedAssignorOptions {
    const tables = [...this.tables.values()]
    const standbys = Math.max(0, ...tables.filter((t) => !t.global).map((t) => t.standbys))
    return {
      standbys,
      standbyTopics: (topic) => {
        const table = this.#byTopic.get(topic)
        return table !== undefined && !table.global && table.standbys > 0
      },
      globalTopics: (topic) => this.#byTopic.get(topic)?.global === true,
      changelogTopics: (topic) => this.#byTopic.has(topic),
    }
  }

  // CollectionHost

  declareChangelog(name: string, spec: ChangelogSpec): void {
    this.#host.declareTopic(name, spec)
  }

  openStore(table: Collection, partition: number): Store {
    const url = table.storeUrl ?? this.#host.storeUrl
    let provider = this.#providers.get(url)
    if (provider === undefined) this.#providers.set(url, (provider = storeProvider(url, this.#host.appId)))
    return provider.open(table.name, partition)
  }

  writeChangelog(record: Parameters<ChangelogWriter['append']>[0], owner?: ChangeOwner): void {
    this.#ahead.writes++
    if (owner === undefined) this.#writer.append(record)
    else this.#writer.coalesce(record, owner)
  }

  /** Closed windows' tombstones: after the outputs' flush under at-least-once (set at start). */
  readonly closedWindowTombstones = new ClosedWindowTombstones()

  writeClosedWindowTombstone(record: Parameters<ChangelogWriter['append']>[0]): void {
    this.#ahead.writes++
    this.closedWindowTombstones.write(record, this.#writer)
  }

  keyPartition(sourceTopic: string, key: unknown): number | undefined {
    return this.#sourcePartitions.of(sourceTopic, key)
  }

  readonly #sourcePartitions = new SourcePartitions((name) => this.#host.sourceTopic(name))

  // Lifecycle.

  /** Opens the stores (taking their locks) and attaches the producer: before the consumer joins. */
  async start(): Promise<void> {
    if (this.tables.size === 0) return
    for (const table of this.tables.values()) table.store(0)
    this.#writer.attach(await this.#host.producer())
    this.#started = true
  }

  /** Checkpoint step 1: every table change into the producer (the producer's flush follows). */
  beforeFlush(): Promise<void> {
    this.closedWindowTombstones.seal()
    return this.#writer.flush()
  }

  /**
   * Checkpoint step 3, after the producer's flush: stores and their applied offsets made durable. At checkpoints
   * triggered by the ack count (every `brokerCommitEvery` events, so many a second at full speed) it is done at most
   * every STORE_FLUSH_MS: each flush is one LMDB transaction writing every key changed since the last (about 1.5 µs a
   * key), so flushing less often writes a hot key once instead of once per checkpoint. A store lagging its changelog
   * is safe: it holds its applied offset in the same transaction as its data, and recovery replays the changelog from
   * there. Interval, revoke, stop and `app.commit()` checkpoints always flush.
   */
  afterFlush(trigger?: string): void {
    this.closedWindowTombstones.release(this.#writer)
    const now = Date.now()
    if (trigger === 'acks' && now - this.#storesFlushedAt < STORE_FLUSH_MS) return
    this.#storesFlushedAt = now
    for (const table of this.tables.values()) table.beforeStoresFlush()
    for (const provider of this.#providers.values()) provider.flush()
  }

  #storesFlushedAt = 0

  /**
   * Exactly-once: local state may hold changes of a transaction that did not commit (after an abort, or on disk
   * after an unclean stop). Set at start, it makes the next assignment rebuild active partitions from the
   * changelog (as Kafka Streams wipes state under exactly-once without a clean checkpoint).
   */
  rebuildOnAssign = false

  /**
   * The transaction was aborted: its changes are dropped from the stores (and unsent changelog records from the
   * writer). Active partitions are cleared; they are rebuilt from the committed changelog when next assigned.
   */
  rollback(): void {
    this.#writer.discard()
    this.closedWindowTombstones.discard()
    for (const { table, partition } of rolledBack(this.tables)) table.clearPartition(partition)
    this.rebuildOnAssign = true
  }

  /** Exactly-once rewinds rebuild the tables while the coordinator settles the failed transaction. */
  readonly #ahead = new RebuildAhead(this)

  /** Starts the rebuild ahead of the assignment (see `RebuildAhead`); never rejects. */
  recoverAhead(): Promise<void> {
    return this.#started ? this.#ahead.start() : Promise.resolve()
  }

  async stop(): Promise<void> {
    if (!this.#started) return
    await this.#ahead.settle(true)
    this.#started = false
    // A failed write already crashed the app or was rewound (and failed every checkpoint since): reported already.
    await this.#writer.flush().catch(() => {})
    this.#writer.attach(undefined)
    for (const table of this.tables.values()) table.detachStores()
    // Persistent stores close (releasing their lock); memory stores stay for a restart of this app in-process.
    const providers = [...this.#providers].filter(([, provider]) => provider.persistent)
    for (const [url] of providers) this.#providers.delete(url)
    await Promise.all(providers.map(([, provider]) => provider.close()))
  }

  // Rebalances.

  async onAssigned(assignment: Assignment): Promise<void> {
    if (this.tables.size === 0) return
    // One reader at a time applies changelog records to a store: a rebuild ahead finishes first.
    await this.#ahead.settle(false)
    const actives = byTopic(assignment.actives, this.#byTopic)
    const standbys = byTopic(assignment.standbys, this.#byTopic)
    for (const [topic, table] of this.#byTopic) table.setPartitions(actives.get(topic) ?? [], standbys.get(topic) ?? [])
    this.#ahead.clearAtAssignment()
    const started = Date.now()
    const records = await this.#recoverAssigned()
    this.lastRecovery = { records, durationMs: Date.now() - started }
    for (const table of this.tables.values()) table.onRecovered([...table.activePartitions])
    this.#positionConsumer()
  }

  onRevoked(partitions: TopicPartition[]): void {
    const revoked = byTopic(partitions, this.#byTopic)
    for (const [topic, table] of this.#byTopic) {
      const gone = new Set(revoked.get(topic) ?? [])
      if (gone.size === 0) continue
      table.setPartitions(
        [...table.activePartitions].filter((p) => !gone.has(p)),
        [...table.standbyPartitions].filter((p) => !gone.has(p)),
      )
    }
  }

  /** Changelog records from the group consumer: applied for standby partitions, ignored for active ones. */
  onChangelogRecords(records: readonly ConsumedRecord[]): void {
    let i = 0
    while (i < records.length) {
      const first = records[i]
      let j = i + 1
      while (j < records.length && records[j].topic === first.topic && records[j].partition === first.partition) j++
      const table = this.#byTopic.get(first.topic)
      if (table?.standbyPartitions.has(first.partition)) {
        table.applyChangelog(first.partition, i === 0 && j === records.length ? records : records.slice(i, j), true)
      }
      i = j
    }
  }

  async #recoverAssigned(): Promise<number> {
    const wanted: { table: Collection; partition: number }[] = []
    for (const table of this.tables.values()) {
      for (const partition of table.activePartitions) wanted.push({ table, partition })
      // A global table is read in full before processing starts.
      if (table.global) for (const partition of table.standbyPartitions) wanted.push({ table, partition })
    }
    try {
      return await this.#recover(wanted)
    } catch (error) {
      this.log.error({ ...errorFields(error) }, 'table recovery failed')
      this.#host.crash(error as Error)
      throw error
    }
  }

  /** The active partitions of the tables that are not global (those a rollback clears), up to `signal`. */
  replayActive(signal: AbortSignal): Promise<number> {
    return this.#recover([...rolledBack(this.tables)], signal)
  }

  #recover(wanted: { table: Collection; partition: number }[], signal?: AbortSignal): Promise<number> {
    const transport = this.#host.transport()
    if (transport === undefined) return Promise.resolve(0)
    return replayChangelogs(transport, wanted, {
      log: this.log,
      stallTimeoutMs: this.#options.recoveryStallMs,
      app: this.#host.appId,
      tty: this.#options.tty,
      signal,
    })
  }

  /** Active changelog partitions are not fetched (this worker writes them); standbys resume where their store is. */
  #positionConsumer(): void {
    const consumer = this.#host.consumer()
    if (consumer === undefined) return
    const pause: TopicPartition[] = []
    const seeks: TopicPartitionOffset[] = []
    for (const table of this.tables.values()) {
      for (const partition of table.activePartitions) pause.push({ topic: table.changelogTopic, partition })
      for (const partition of table.standbyPartitions) {
        const applied = table.store(partition).appliedOffset()
        if (applied !== undefined) seeks.push({ topic: table.changelogTopic, partition, offset: applied + 1 })
      }
    }
    if (pause.length > 0) consumer.pause(pause)
    for (const seek of seeks) {
      try {
        consumer.seek(seek)
      } catch (error) {
        this.log.debug({ ...errorFields(error), ...seek }, 'standby seek skipped')
      }
    }
  }

  #onWritten(metadata: readonly RecordMetadata[]): void {
    // Offsets grow within a partition: note each partition's last record of the batch once.
    for (let i = 0; i < metadata.length; i++) {
      const record = metadata[i]
      const next = metadata[i + 1]
      if (next !== undefined && next.topic === record.topic && next.partition === record.partition) continue
      this.#byTopic.get(record.topic)?.noteWritten(record.partition, record.offset)
    }
  }
}

function byTopic(partitions: readonly TopicPartition[], tables: Map<string, Collection>): Map<string, number[]> {
  const out = new Map<string, number[]>()
  for (const { topic, partition } of partitions) {
    if (!tables.has(topic)) continue
    const list = out.get(topic)
    if (list) list.push(partition)
    else out.set(topic, [partition])
  }
  return out
}
