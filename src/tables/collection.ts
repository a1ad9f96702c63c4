import { currentEvent } from '../agents/context.ts'
import type { Serde } from '../channels/serde.ts'
import { FaustusError, isFaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Codec } from '../models/codec.ts'
import { serializerFor } from '../models/index.ts'
import type { Store, StoreSlot } from '../stores/types.ts'
import type { ConsumedRecord } from '../transport/types.ts'
import type { ChangeOwner } from './changelog-cache.ts'
import type { ChangeListener, ChangelogSpec, CollectionHost, CollectionKind } from './collection-host.ts'
import { type KeyPartitionMemo, keyPartitionCheckOf, keyPartitionMismatchMessage, writePartition } from './guard.ts'
import { describeKey, TableKeys } from './keys.ts'
import type { CollectionOptions, CollectionStats, KeyPartitionCheck, WriteOptions } from './types.ts'
import { valueBytes } from './value-bytes.ts'

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
  readonly keyPartitionCheck: KeyPartitionCheck
  readonly storeUrl: string | undefined
  readonly stats: CollectionStats = { applied: 0, corrupt: 0, written: 0, recovered: 0, keyPartitionMismatches: 0 }
  protected readonly host: CollectionHost

  /** The app clock's time (a test driver's virtual clock, else the wall clock). */
  now(): number {
    return this.host.now?.() ?? Date.now()
  }
  /** The table's key codec: every form of a key to the same bytes (see keys.ts). */
  readonly keyCodec: TableKeys
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
  /** Source partitions already warned about (`keyPartitionCheck: 'warn'`), by topic. */
  readonly #mismatchWarned = new Map<string, Set<number>>()
  readonly #recordType: (abstract new (...args: any) => unknown) | undefined
  readonly #valueCodec: Codec

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
    this.keyPartitionCheck = keyPartitionCheckOf(name, options)
    this.storeUrl = options.store
    this.changelogTopic = options.changelogTopic ?? `${host.appId}-${name}-changelog`
    this.keyCodec = new TableKeys(name, options.keyType)
    const valueSerializer = serializerFor(options.valueType as string | undefined, 'json')
    this.valueSerde = valueSerializer as Serde
    this.#recordType = valueSerializer.recordType as (abstract new (...args: any) => unknown) | undefined
    this.#valueCodec = valueSerializer.codec
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

  /**
   * Applies changelog records of one partition (recovery or standby), skipping and counting corrupt ones. `live`:
   * records followed while the app runs (standbys, global tables), which `onApplied` listeners hear.
   */
  applyChangelog(partition: number, records: readonly ConsumedRecord[], live = false): void {
    const store = this.store(partition)
    this.#bump(partition)
    // Key (latin1) -> its bytes and stored value before this batch, for the listeners of applied changes.
    const before = live && this.#appliedListeners.length > 0 ? new Map<string, [Buffer, Buffer | undefined]>() : null
    store.batch(() => {
      let last = store.appliedOffset() ?? -1
      for (const record of records) {
        if (record.offset <= last) continue
        if (before !== null && record.key !== null) {
          const id = record.key.toString('latin1')
          if (!before.has(id)) before.set(id, [record.key, store.get(record.key)])
        }
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
    if (before === null) return
    for (const [key, previous] of before.values()) {
      const value = store.get(key)
      if (value === previous || (value !== undefined && previous !== undefined && value.equals(previous))) continue
      for (const listener of this.#appliedListeners) listener(partition, key, value ?? null)
    }
  }

  readonly #appliedListeners: ChangeListener[] = []

  /**
   * Hears the changes applied from the changelog while the app runs (a global table's changes written by other
   * workers, a standby partition's), once per changed key of a batch, after the store has them. Not the recovery
   * before processing starts: that restores state as it was, it does not change it.
   */
  onApplied(listener: ChangeListener): void {
    this.#appliedListeners.push(listener)
  }

  /** Applies one changelog record to the partition's store; throws a FaustusError for a corrupt record. */
  protected abstract applyRecord(store: Store, partition: number, record: ConsumedRecord): void

  /** A record this worker wrote was acknowledged at `offset`: the store reflects everything up to it. */
  noteWritten(partition: number, offset: number): void {
    const store = this.#stores.get(partition)
    if (store !== undefined && offset > (store.appliedOffset() ?? -1)) store.setAppliedOffset(offset)
  }

  /** Called before the stores flush (session tables write their closed sessions' ends to store meta). */
  beforeStoresFlush(): void {}

  /** Called when active partitions finished recovering (windowed tables rebuild their expiry index). */
  onRecovered(_partitions: readonly number[]): void {}

  // Writes.

  protected writePartition(key: unknown, options: WriteOptions | undefined, memo?: KeyPartitionMemo): number {
    return writePartition(this, this.host, key, options?.partition, memo)
  }

  /** A write kept in the event's partition although its key hashes elsewhere: counted, warned once per partition. */
  noteKeyPartitionMismatch(topic: string, partition: number, keyPartition: number, key: unknown): void {
    this.stats.keyPartitionMismatches++
    let warned = this.#mismatchWarned.get(topic)
    if (warned === undefined) this.#mismatchWarned.set(topic, (warned = new Set()))
    if (warned.has(partition)) return
    warned.add(partition)
    this.log.warn(
      { table: this.name, topic, partition, keyPartition, key: describeKey(key) },
      keyPartitionMismatchMessage(this.name, topic, partition, keyPartition, key),
    )
  }

  /**
   * Whether changelog records may be coalesced per key until the checkpoint: only where a record is the key's whole
   * value (a plain table, compacted). Windowed tables log stream time and merged sessions in headers, and set tables
   * log operations, so their records all go. Every change of a coalescing table goes through the cache, in order.
   */
  protected get coalescing(): boolean {
    return this.kind === 'table' || this.kind === 'global'
  }

  /** The store change, then its changelog record (same bytes unless the kind logs operations). */
  protected writeChange(
    partition: number,
    storeKey: Buffer,
    storeValue: Buffer | null,
    changelogKey: Buffer = storeKey,
    changelogValue: Buffer | null = storeValue,
    headers?: Record<string, string>,
    closedWindow = false,
    owner?: ChangeOwner,
  ): void {
    const store = this.store(partition)
    if (storeValue === null) store.delete(storeKey)
    else store.put(storeKey, storeValue)
    this.stats.written++
    const record = { topic: this.changelogTopic, partition, key: changelogKey, value: changelogValue }
    const withHeaders = headers === undefined ? record : { ...record, headers }
    // Without an owner (a key with no table entry), the change is its own: cached, never replaced.
    if (this.coalescing) this.host.writeChangelog(withHeaders, owner ?? { cached: undefined })
    else if (closedWindow && this.host.writeClosedWindowTombstone !== undefined) {
      this.host.writeClosedWindowTombstone(withHeaders)
    } else this.host.writeChangelog(withHeaders)
    this.#changed(partition, storeKey, storeValue)
  }

  /** `writeChange` of a value through the key's store slot (a table's hot key: no store lookup). */
  protected writeThrough(partition: number, slot: StoreSlot, key: Buffer, value: Buffer, owner: ChangeOwner): void {
    slot.put(value)
    this.stats.written++
    this.host.writeChangelog({ topic: this.changelogTopic, partition, key, value }, this.coalescing ? owner : undefined)
    if (this.#changeListeners.length > 0) this.#changed(partition, key, value)
  }

  #changed(partition: number, key: Buffer, value: Buffer | null): void {
    for (const listener of this.#changeListeners) listener(partition, key, value)
  }

  readonly #changeListeners: ChangeListener[] = []

  /**
   * Hears every change this worker writes (not changelog records applied by recovery or standbys), after the store
   * has it: table–table joins recompute the key in the same partition.
   */
  onChange(listener: ChangeListener): void {
    this.#changeListeners.push(listener)
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

  /**
   * The partitions reads look in, the event's partition first. Without the key-partition check a key may be
   * written from several partitions (each event writes its own): a read inside an event then looks in the event's
   * partition only (Faust's rule), so it sees what events of that partition wrote, never another partition's copy.
   */
  protected readOrder(): readonly number[] {
    const readable = this.#readable
    const preferred = currentEvent()?.partition
    if (this.#eventPartitionOnly(preferred)) return [preferred!]
    if (readable.length < 2) return readable
    if (preferred === undefined || preferred === readable[0] || !readable.includes(preferred)) return readable
    return [preferred, ...readable.filter((p) => p !== preferred)]
  }

  #eventPartitionOnly(partition: number | undefined): boolean {
    return this.keyPartitionCheck !== 'strict' && !this.global && partition !== undefined && this.#active.has(partition)
  }

  // Reads.

  /** The stored bytes of a key: the event's partition first, then the other readable ones. */
  protected lookup(key: Buffer): { partition: number; value: Buffer } | undefined {
    const readable = this.#readable
    const current = currentEvent()?.partition
    if (this.#eventPartitionOnly(current)) {
      const value = this.#stores.get(current!)?.get(key)
      return value === undefined ? undefined : { partition: current!, value }
    }
    const preferred = readable.length > 1 ? current : undefined
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
    return this.keyCodec.encode(key)
  }

  protected encodeValue(value: unknown): Buffer {
    return valueBytes(this.name, value, this.valueSerde, this.#valueCodec, this.#recordType)
  }

  protected decodeKey(bytes: Buffer, origin?: ConsumedRecord): unknown {
    return this.keyCodec.decode(bytes, origin)
  }

  protected decodeValue(bytes: Buffer, origin?: ConsumedRecord): unknown {
    return this.valueSerde.decode(bytes, origin)
  }
}
