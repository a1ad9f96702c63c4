import { FaustusError } from '../errors.ts'
import { internKeyId } from '../stores/key-ids.ts'
import type { Store, StoreSlot } from '../stores/types.ts'
import type { ConsumedRecord } from '../transport/types.ts'
import type { ChangeOwner } from './changelog-cache.ts'
import { STREAM_TIME_HEADER, STREAM_TIME_META } from './closing.ts'
import { Collection } from './collection.ts'
import type { CollectionHost } from './collection-host.ts'
import type { KeyPartitionMemo } from './guard.ts'
import { REPLACES_HEADER, SessionTable } from './session.ts'
import { StringCache } from './string-cache.ts'
import type { SessionOptions, TableOptions, WindowOptions, WriteOptions } from './types.ts'
import { WindowedTable } from './windowed.ts'
import { HoppingWindow, SessionWindow, SlidingWindow, TumblingWindow, type Window } from './windows.ts'

/**
 * A partitioned, changelogged key-value table (Faust's `app.Table`). Reads are local; writes go to the store and,
 * as a changelog record, to `{appId}-{name}-changelog` at the partition of the event being processed.
 */
export class Table<K = unknown, V = unknown> extends Collection implements Iterable<[K, V]> {
  readonly #default: (() => V) | undefined
  #window: Window | undefined
  /** Recent string keys (bounded): encoded bytes, cached value, source partition. */
  readonly #entries = new StringCache<KeyEntry<V>>(MAX_ENTRIES)

  constructor(host: CollectionHost, name: string, options: TableOptions<V> = {}, global = false) {
    super(host, name, global ? 'global' : 'table', options)
    this.#default = options.default
  }

  /** The window of a windowed table (keys are then `[key, [start, end]]`). */
  get window(): Window | undefined {
    return this.#window
  }

  /** The stored value, else the default's value (not stored), else undefined. */
  get(key: K): V | undefined {
    const entry = this.#entry(key)
    for (const partition of this.readOrder()) {
      const value = this.#read(partition, entry)
      if (value !== undefined) return value
    }
    return this.#default?.()
  }

  /**
   * The stored value of `key` (no default), for joins: in one partition of a partitioned table (the partition of the
   * stream event, which the worker owns when stream and table are co-partitioned), anywhere in a global table.
   */
  lookupIn(partition: number | undefined, key: K): V | undefined {
    const bytes = this.encodeKey(key)
    if (this.global || partition === undefined) {
      const found = this.lookup(bytes)
      return found === undefined ? undefined : (this.decodeValue(found.value) as V)
    }
    if (!this.isReadable(partition)) {
      throw new FaustusError(
        'FST_TABLE_WRONG_PARTITION',
        `table "${this.name}": partition ${partition} is not owned by this worker, so an event of that partition ` +
          'cannot be joined with it here: the stream and the table must be co-partitioned (same partition count, same key)',
        { details: { table: this.name, partition } },
      )
    }
    const stored = this.store(partition).get(bytes)
    return stored === undefined ? undefined : (this.decodeValue(stored) as V)
  }

  has(key: K): boolean {
    return this.lookup(this.#entry(key).bytes) !== undefined
  }

  set(key: K, value: V, options?: WriteOptions): this {
    const entry = this.#entry(key)
    const partition = this.writePartition(this.keyForCheck(key), options, entry)
    this.#write(entry, partition, this.encodeValue(value))
    this.#remember(entry, partition, value)
    return this
  }

  /** Sets `key` to `fn(current value or default)` and returns the new value. */
  update(key: K, fn: (value: V) => V, options?: WriteOptions): V {
    const entry = this.#entry(key)
    const partition = this.writePartition(this.keyForCheck(key), options, entry)
    const current = this.#read(partition, entry) ?? (this.#default?.() as V)
    const next = fn(current)
    this.#write(entry, partition, this.encodeValue(next))
    this.#remember(entry, partition, next)
    return next
  }

  /** Deletes the key (a tombstone in the changelog). */
  delete(key: K, options?: WriteOptions): boolean {
    const entry = this.#entry(key)
    const partition = this.writePartition(this.keyForCheck(key), options, entry)
    const existed = this.store(partition).get(entry.bytes) !== undefined
    this.writeChange(partition, entry.bytes, null, entry.bytes, null, undefined, false, entry)
    entry.valuePartition = -1
    return existed
  }

  /** A value written through the key's slot in the partition's store (kept for the next write of the key). */
  #write(entry: KeyEntry<V>, partition: number, value: Buffer): void {
    const store = this.store(partition)
    if (entry.slotStore !== store) {
      entry.slot = store.slot(entry.bytes)
      entry.slotStore = store
    }
    this.writeThrough(partition, entry.slot!, entry.bytes, value, entry)
  }

  /**
   * What the table keeps about a key: its encoded bytes, its decoded value in one partition (valid while that
   * partition's version holds), its source partition and its change waiting in the table cache. One entry per key
   * bytes, whatever form the key was given in (kept bounded): the table cache coalesces a key's changes through it.
   * String keys are found without encoding them, so a hot key is encoded, hashed and decoded once.
   */
  #entry(key: K): KeyEntry<V> {
    if (typeof key !== 'string') return this.#entryOf(this.encodeKey(key))
    let entry = this.#entries.get(key)
    if (entry === undefined) {
      entry = this.#entryOf(this.encodeKey(key))
      this.#entries.set(key, entry)
    }
    return entry
  }

  /** Entries by the latin1 form of their key bytes: the one entry of each key. */
  readonly #byBytes = new Map<string, KeyEntry<V>>()

  #entryOf(bytes: Buffer): KeyEntry<V> {
    const id = bytes.toString('latin1')
    let entry = this.#byBytes.get(id)
    if (entry === undefined) {
      // Both forget together: an entry the strings still led to would be a second entry of its key.
      if (this.#byBytes.size >= MAX_ENTRIES) {
        this.#byBytes.clear()
        this.#entries.clear()
      }
      entry = newEntry(internKeyId(bytes, id))
      this.#byBytes.set(id, entry)
    }
    return entry
  }

  /** A key's decoded value in one partition: the cached one, else from the store (then cached). */
  #read(partition: number, entry: KeyEntry<V>): V | undefined {
    if (entry.valuePartition === partition && entry.valueVersion === this.version(partition)) return entry.value
    const stored = this.store(partition).get(entry.bytes)
    if (stored === undefined) return undefined
    const value = this.decodeValue(stored) as V
    this.#remember(entry, partition, value)
    return value
  }

  #remember(entry: KeyEntry<V>, partition: number, value: V): void {
    if (!this.cacheable(value)) {
      entry.valuePartition = -1
      return
    }
    entry.value = value
    entry.valuePartition = partition
    entry.valueVersion = this.version(partition)
  }

  /** Entries of the partitions this worker holds (all of them for a global table). */
  *entries(): IterableIterator<[K, V]> {
    for (const [key, value] of this.storedEntries()) yield [this.decodeKey(key) as K, this.decodeValue(value) as V]
  }

  *keys(): IterableIterator<K> {
    for (const [key] of this.storedEntries()) yield this.decodeKey(key) as K
  }

  *values(): IterableIterator<V> {
    for (const [, value] of this.storedEntries()) yield this.decodeValue(value) as V
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries()
  }

  get size(): number {
    return this.storedSize()
  }

  /** A plain object of the entries (JSON keys as property names), for logs and tests. */
  toJSON(): Record<string, V> {
    const out: Record<string, V> = {}
    for (const [key, value] of this.entries()) out[typeof key === 'string' ? key : JSON.stringify(key)] = value
    return out
  }

  // Windows.

  /** Fixed-size, non-overlapping windows of `size` ms. */
  tumbling(size: number, options: WindowOptions = {}): WindowedTable<K, V> {
    return this.#windowed(new TumblingWindow(size, options.expires, options.grace))
  }

  /** Windows of `size` ms starting every `step` ms. */
  hopping(size: number, step: number, options: WindowOptions = {}): WindowedTable<K, V> {
    return this.#windowed(new HoppingWindow(size, step, options.expires, options.grace))
  }

  /** One window per event: from `before` ms before to `after` ms after its time. */
  sliding(before: number, after: number, options: WindowOptions = {}): WindowedTable<K, V> {
    return this.#windowed(new SlidingWindow(before, after, options.expires, options.grace))
  }

  /**
   * Session windows: a key's events less than `gap` ms apart form one session; `merge` combines the values of two
   * sessions an event bridges (Kafka Streams' Merger).
   */
  session(gap: number, options: SessionOptions<V>): SessionTable<K, V> {
    const window = new SessionWindow(gap, options)
    this.#claimWindow(window)
    return new SessionTable<K, V>(this, window, this.#default, options.merge)
  }

  #windowed(window: Window): WindowedTable<K, V> {
    this.#claimWindow(window)
    return new WindowedTable<K, V>(this, window, this.#default)
  }

  #claimWindow(window: Window): void {
    if (this.#window !== undefined) throw new Error(`table "${this.name}" is already windowed`)
    this.#window = window
    this.setRetention(window.expires)
  }

  protected override get coalescing(): boolean {
    return this.#window === undefined
  }

  /** The app's id (diagnostics messages carry it). */
  get appId(): string {
    return this.host.appId
  }

  /** Windowed tables check the partition of the inner key, not of `[key, window]`. */
  protected keyForCheck(key: K): unknown {
    return this.#window !== undefined && Array.isArray(key) ? key[0] : key
  }

  protected applyRecord(store: Store, _partition: number, record: ConsumedRecord): void {
    if (record.key === null) throw new TypeError('unreachable')
    // Decoded to validate: a corrupt record is skipped, not stored. Windowed keys are `[key, window]`.
    if (this.#window === undefined) this.decodeKey(record.key, record)
    else this.windowHooks.decodeKey(record.key, record)
    if (record.value === null) {
      store.delete(record.key)
      // The tombstone of a window closed by stream time carries that stream time: a restart keeps it.
      const streamTime = record.headers[STREAM_TIME_HEADER]
      if (this.#window !== undefined && streamTime !== undefined) {
        this.windowHooks.closed(_partition, record.key)
        const time = Number(streamTime.toString())
        if (time > Number(store.meta(STREAM_TIME_META) ?? Number.NEGATIVE_INFINITY)) {
          store.setMeta(STREAM_TIME_META, String(time))
        }
      }
      return
    }
    this.decodeValue(record.value, record)
    if (this.#window !== undefined) {
      // A merged session names the sessions it replaced: they go with it, whether or not their tombstones follow.
      const replaces = record.headers[REPLACES_HEADER]
      if (replaces !== undefined) {
        for (const key of this.windowHooks.replaces(record.key, replaces, record)) store.delete(key)
      }
      if (!this.windowHooks.accept(_partition, record.key)) return
    }
    store.put(record.key, record.value)
  }

  /** Set by the windowed wrapper: how to decode a windowed key, which restored windows to keep, how to index them. */
  windowHooks: {
    decodeKey(key: Buffer, origin: ConsumedRecord): unknown
    accept(partition: number, key: Buffer): boolean
    /** The stored keys a record replaces (its `faustus-replaces` header: sessions merged into it). */
    replaces(key: Buffer, header: Buffer, origin: ConsumedRecord): Buffer[]
    /** A closed window's tombstone was applied. */
    closed(partition: number, key: Buffer): void
    /** A partition's store was cleared. */
    cleared(partition: number): void
    /** The stores are about to flush: state kept beside the windows goes to their meta. */
    persist(): void
    rebuild(partitions: readonly number[]): void
  } = {
    decodeKey: () => undefined,
    accept: () => true,
    replaces: () => [],
    closed: () => {},
    cleared: () => {},
    persist: () => {},
    rebuild: () => {},
  }

  override beforeStoresFlush(): void {
    this.windowHooks.persist()
  }

  override clearPartition(partition: number): void {
    super.clearPartition(partition)
    this.windowHooks.cleared(partition)
  }

  override onRecovered(partitions: readonly number[]): void {
    this.windowHooks.rebuild(partitions)
  }

  /** Internal for the windowed wrapper: raw access by encoded key in one partition. */
  rawGet(partition: number, key: Buffer): Buffer | undefined {
    return this.isReadable(partition) ? this.store(partition).get(key) : undefined
  }
  rawFind(key: Buffer): Buffer | undefined {
    return this.lookup(key)?.value
  }
  rawPut(partition: number, key: Buffer, value: Buffer | null, headers?: Record<string, string>): void {
    this.writeChange(partition, key, value, key, value, headers)
  }
  /** Deletes a closed window: from the store now, from the changelog once its final result is safe. */
  rawRemoveClosed(partition: number, key: Buffer, headers: Record<string, string>): void {
    this.writeChange(partition, key, null, key, null, headers, true)
  }
  rawPartition(key: unknown, options?: WriteOptions): number {
    return this.writePartition(key, options)
  }
  rawEntries(partition: number): Iterable<[Buffer, Buffer]> {
    return this.store(partition).entries()
  }
  encode(key: unknown): Buffer {
    return this.encodeKey(key)
  }
  encodeV(value: unknown): Buffer {
    return this.encodeValue(value)
  }
  decodeV(value: Buffer): V {
    return this.decodeValue(value) as V
  }
}

const MAX_ENTRIES = 100_000

/**
 * What a table keeps about a key; it is also the memo of the key's source partition (see `writePartition`) and the
 * owner of its change waiting in the table cache.
 */
interface KeyEntry<V> extends KeyPartitionMemo, ChangeOwner {
  readonly bytes: Buffer
  value: V | undefined
  /** The partition `value` was read or written in; -1 when nothing is cached. */
  valuePartition: number
  /** The partition's version when `value` was cached. */
  valueVersion: number
  /** The key's slot in `slotStore` (the store of the partition last written). */
  slot: StoreSlot | undefined
  slotStore: Store | undefined
}

function newEntry<V>(bytes: Buffer): KeyEntry<V> {
  return {
    bytes,
    value: undefined,
    valuePartition: -1,
    valueVersion: 0,
    slot: undefined,
    slotStore: undefined,
    cached: undefined,
    sourceTopic: undefined,
    sourcePartition: undefined,
  }
}

/** A table every worker holds in full (all partitions, following the whole changelog). */
export class GlobalTable<K = unknown, V = unknown> extends Table<K, V> {
  constructor(host: CollectionHost, name: string, options: TableOptions<V> = {}) {
    super(host, name, options, true)
  }
}
