import { currentEvent } from '../agents/context.ts'
import type { Serde } from '../channels/serde.ts'
import { FaustusError, isFaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import { serializerFor } from '../models/index.ts'
import type { Store } from '../stores/types.ts'
import type { ConsumedRecord, ProduceRecord } from '../transport/types.ts'
import { type KeyPartitionMemo, type OwnershipView, writePartition } from './guard.ts'
import type { CollectionOptions, CollectionStats, WriteOptions } from './types.ts'

/** Broker-side shape of a changelog topic. */
export interface ChangelogSpec {
  partitions: number
  compacting: boolean
  deleting: boolean
  retention?: number
}

/** What a table needs from the app's table manager. */
export interface CollectionHost extends OwnershipView {
  readonly appId: string
  readonly log: Logger
  readonly defaultPartitions: number
  /** Declares (or re-declares, when a window changes its retention) the changelog topic. */
  declareChangelog(name: string, spec: ChangelogSpec): void
  openStore(table: Collection, partition: number): Store
  /** Queues a changelog record; it reaches the producer before the next checkpoint's flush. */
  writeChangelog(record: ProduceRecord): void
}

export type CollectionKind = 'table' | 'global' | 'set' | 'set-global'

/**
 * What every table kind shares: its changelog topic and codecs, the partitions this worker holds (actives it
 * writes, standbys it follows), one store per partition, and the write path (store, then changelog record at the
 * partition of the event being processed). Subclasses decide what a changelog record means.
 */
export abstract class Collection {
  readonly name: string
  readonly kind: CollectionKind
  readonly changelogTopic: string
  readonly partitions: number
  readonly standbys: number
  readonly help: string
  readonly checkKeyPartition: boolean
  readonly storeUrl: string | undefined
  readonly stats: CollectionStats = { applied: 0, corrupt: 0, written: 0, recovered: 0 }
  protected readonly host: CollectionHost
  protected readonly keySerde: Serde
  protected readonly valueSerde: Serde
  readonly log: Logger
  #changelogSpec: ChangelogSpec
  #active = new Set<number>()
  #standby = new Set<number>()
  /** Partitions reads look in: actives, plus standbys for global tables. */
  #readable: number[] = []
  #stores = new Map<number, Store>()
  /** Decoded values by key id, per partition: reads and updates of hot keys skip the store and the decoding. */
  /** Bumped when a partition's store changes under the table (changelog applied, cleared, detached). */
  #versions: number[] = []
  readonly #recordType: (abstract new (...args: any) => unknown) | undefined

  constructor(host: CollectionHost, name: string, kind: CollectionKind, options: CollectionOptions) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) {
      throw new FaustusError('FST_APP_DEFINITION', `table name "${name}" may only use letters, digits, . _ -`)
    }
    this.host = host
    this.name = name
    this.kind = kind
    this.partitions = options.partitions ?? host.defaultPartitions
    this.standbys = Math.max(0, options.standbys ?? 1)
    this.help = options.help ?? ''
    this.checkKeyPartition = options.checkKeyPartition ?? true
    this.storeUrl = options.store
    this.changelogTopic = options.changelogTopic ?? `${host.appId}-${name}-changelog`
    this.keySerde = serializerFor(options.keyType as string | undefined, 'json') as Serde
    const valueSerializer = serializerFor(options.valueType as string | undefined, 'json')
    this.valueSerde = valueSerializer as Serde
    this.#recordType = valueSerializer.recordType as (abstract new (...args: any) => unknown) | undefined
    this.log = host.log.child({ table: name })
    // Set tables keep operations, not values: their changelog cannot be compacted (as Faust).
    const compacting = kind === 'table' || kind === 'global'
    this.#changelogSpec = { partitions: this.partitions, compacting, deleting: false }
    host.declareChangelog(this.changelogTopic, this.#changelogSpec)
  }

  get global(): boolean {
    return this.kind === 'global' || this.kind === 'set-global'
  }

  /** Windowed tables: `compact,delete` with retention = the window's expiry. */
  protected setRetention(retentionMs: number | undefined): void {
    this.#changelogSpec = { ...this.#changelogSpec, deleting: retentionMs !== undefined, retention: retentionMs }
    this.host.declareChangelog(this.changelogTopic, this.#changelogSpec)
  }

  // Partitions, as the manager assigns them.

  get activePartitions(): ReadonlySet<number> {
    return this.#active
  }
  get standbyPartitions(): ReadonlySet<number> {
    return this.#standby
  }

  setPartitions(actives: Iterable<number>, standbys: Iterable<number>): void {
    this.#active = new Set(actives)
    this.#standby = new Set([...standbys].filter((p) => !this.#active.has(p)))
    const readable = new Set(this.#active)
    if (this.global) for (const p of this.#standby) readable.add(p)
    this.#readable = [...readable].sort((a, b) => a - b)
    for (const p of readable) this.store(p)
    for (const p of this.#standby) this.store(p)
  }

  store(partition: number): Store {
    let store = this.#stores.get(partition)
    if (store === undefined) this.#stores.set(partition, (store = this.host.openStore(this, partition)))
    return store
  }

  /** Drops a partition's data (its changelog was reset): recovery replays it from the start. */
  clearPartition(partition: number): void {
    this.store(partition).clear()
    this.#bump(partition)
  }

  /** Forgets open stores (the provider closed them). */
  detachStores(): void {
    for (const partition of this.#stores.keys()) this.#bump(partition)
    this.#stores.clear()
    this.setPartitions([], [])
  }

  // Changelog in.

  /** Applies changelog records of one partition (recovery or standby), skipping and counting corrupt ones. */
  applyChangelog(partition: number, records: readonly ConsumedRecord[]): void {
    const store = this.store(partition)
    this.#bump(partition)
    store.batch(() => {
      let last = store.appliedOffset() ?? -1
      for (const record of records) {
        if (record.offset <= last) continue
        try {
          this.applyRecord(store, partition, record)
          this.stats.applied++
        } catch (error) {
          if (!isFaustusError(error)) throw error
          this.stats.corrupt++
          this.log.error(
            { ...errorFields(error), topic: record.topic, partition: record.partition, offset: record.offset },
            'skipping a changelog record that cannot be decoded',
          )
        }
        last = record.offset
      }
      if (last >= 0) store.setAppliedOffset(last)
    })
  }

  /** Applies one changelog record to the partition's store; throws a FaustusError for a corrupt record. */
  protected abstract applyRecord(store: Store, partition: number, record: ConsumedRecord): void

  /** A record this worker wrote was acknowledged at `offset`: the store reflects everything up to it. */
  noteWritten(partition: number, offset: number): void {
    const store = this.#stores.get(partition)
    if (store !== undefined && offset > (store.appliedOffset() ?? -1)) store.setAppliedOffset(offset)
  }

  /** Called when active partitions finished recovering (windowed tables rebuild their expiry index). */
  onRecovered(_partitions: readonly number[]): void {}

  // Writes.

  protected writePartition(key: unknown, options: WriteOptions | undefined, memo?: KeyPartitionMemo): number {
    return writePartition(this, this.host, key, options?.partition, memo)
  }

  /** The store change, then its changelog record (same bytes unless the kind logs operations). */
  protected writeChange(
    partition: number,
    storeKey: Buffer,
    storeValue: Buffer | null,
    changelogKey: Buffer = storeKey,
    changelogValue: Buffer | null = storeValue,
  ): void {
    const store = this.store(partition)
    if (storeValue === null) store.delete(storeKey)
    else store.put(storeKey, storeValue)
    this.stats.written++
    this.host.writeChangelog({ topic: this.changelogTopic, partition, key: changelogKey, value: changelogValue })
  }

  // Versions of partitions, for caches of decoded values kept by subclasses.

  protected version(partition: number): number {
    return this.#versions[partition] ?? 0
  }

  #bump(partition: number): void {
    this.#versions[partition] = this.version(partition) + 1
  }

  /** A value may be cached as given (a plain object given for a record type is stored as that record). */
  protected cacheable(value: unknown): boolean {
    return this.#recordType === undefined || value instanceof this.#recordType
  }

  /** The partitions reads look in, the event's partition first. */
  protected readOrder(): readonly number[] {
    const readable = this.#readable
    if (readable.length < 2) return readable
    const preferred = currentEvent()?.partition
    if (preferred === undefined || preferred === readable[0] || !readable.includes(preferred)) return readable
    return [preferred, ...readable.filter((p) => p !== preferred)]
  }

  // Reads.

  /** The stored bytes of a key: the event's partition first, then the other readable ones. */
  protected lookup(key: Buffer): { partition: number; value: Buffer } | undefined {
    const readable = this.#readable
    const preferred = readable.length > 1 ? currentEvent()?.partition : undefined
    if (preferred !== undefined && this.#stores.has(preferred) && this.isReadable(preferred)) {
      const value = this.#stores.get(preferred)!.get(key)
      if (value !== undefined) return { partition: preferred, value }
    }
    for (const partition of readable) {
      if (partition === preferred) continue
      const value = this.#stores.get(partition)!.get(key)
      if (value !== undefined) return { partition, value }
    }
    return undefined
  }

  protected isReadable(partition: number): boolean {
    return this.#active.has(partition) || (this.global && this.#standby.has(partition))
  }

  /** Every stored entry of the readable partitions. */
  protected *storedEntries(): Generator<[Buffer, Buffer, number]> {
    for (const partition of this.#readable) {
      for (const [key, value] of this.#stores.get(partition)!.entries()) yield [key, value, partition]
    }
  }

  protected storedSize(): number {
    let size = 0
    for (const partition of this.#readable) size += this.#stores.get(partition)!.size
    return size
  }

  // Codecs.

  /** The key's bytes as the changelog carries them (Faust routes table lookups by their murmur2 partition). */
  keyBytes(key: unknown): Buffer {
    return this.encodeKey(key)
  }

  protected encodeKey(key: unknown): Buffer {
    const bytes = this.keySerde.encode(key)
    if (bytes === null) throw new FaustusError('FST_TABLE_VALUE', `table "${this.name}": a key cannot be null`)
    return bytes
  }

  protected encodeValue(value: unknown): Buffer {
    let bytes: Buffer | null
    try {
      bytes = this.valueSerde.encode(value)
    } catch (error) {
      throw new FaustusError('FST_TABLE_VALUE', `table "${this.name}": invalid value: ${(error as Error).message}`, {
        cause: error,
        details: { table: this.name },
      })
    }
    if (bytes === null) {
      throw new FaustusError(
        'FST_TABLE_VALUE',
        `table "${this.name}": a value cannot be null or undefined (delete the key)`,
      )
    }
    return bytes
  }

  protected decodeKey(bytes: Buffer, origin?: ConsumedRecord): unknown {
    return this.keySerde.decode(bytes, origin)
  }

  protected decodeValue(bytes: Buffer, origin?: ConsumedRecord): unknown {
    return this.valueSerde.decode(bytes, origin)
  }
}
