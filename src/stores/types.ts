/**
 * The state store contract: a sorted-or-not map of bytes to bytes for ONE table partition, plus the changelog offset
 * it has applied. Tables encode keys and values (their codecs, Faust's wire form) before they reach a store, so the
 * same bytes go to the store and to the changelog. Changelogging and caching are wrappers, not flags in here.
 */
export interface Store {
  get(key: Buffer): Buffer | undefined
  put(key: Buffer, value: Buffer): void
  delete(key: Buffer): void
  /**
   * A handle on one key, for a caller writing that key often (a table keeps one per hot key): `slot.put(value)` is
   * `put(key, value)` without hashing and looking the key up again. It stays valid whatever happens to the key
   * (deleted, the store cleared): a put through it writes the key again. It writes this store only.
   */
  slot(key: Buffer): StoreSlot
  /** Entries in key order (byte order) for LMDB; insertion order for the memory store. */
  entries(): Iterable<[Buffer, Buffer]>
  /**
   * Entries with `from <= key < to` (either bound optional), in byte order, read step by step: the caller may write
   * to the store between steps. Meant to be iterated at once (a join's lookup), not across awaits.
   */
  range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]>
  readonly size: number
  /**
   * The offset of the last changelog record applied to this store (Faust's `persisted_offset`), or undefined when
   * none was: recovery reads from `appliedOffset + 1`.
   */
  appliedOffset(): number | undefined
  setAppliedOffset(offset: number): void
  /** Small named values kept with the data (the closed-window watermark of windowed tables). */
  meta(name: string): string | undefined
  setMeta(name: string, value: string): void
  /** Runs `fn`, whose writes form one batch (LMDB: one write transaction, no buffering): restores use it. */
  batch(fn: () => void): void
  /** Makes pending writes durable (a no-op in memory). */
  flush(): void
  /** Drops every entry and the applied offset (a partition whose changelog was reset). */
  clear(): void
}

/** See `Store.slot`. */
export interface StoreSlot {
  put(value: Buffer): void
}

/** Opens the stores of one app: one per (table, partition). */
export interface StoreProvider {
  /** `memory` or `lmdb`. */
  readonly kind: string
  /** Whether data outlives the process (recovery may then replay only the tail). */
  readonly persistent: boolean
  open(table: string, partition: number): Store
  /** Flushes every open store. */
  flush(): void
  close(): Promise<void>
}
