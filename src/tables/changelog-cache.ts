import type { ProduceRecord } from '../transport/types.ts'

/** Bytes counted per cached record beyond its key and value (the record and its entry). */
const ENTRY_OVERHEAD = 64

/** A key's record waiting in the cache; replaced in place by the key's later changes until the cache drains. */
export interface CachedChange {
  record: ProduceRecord
  /** The cache round it was added in: a change of an older round has been sent (or dropped). */
  round: number
  /** The record's partition and value bytes, kept here so a replacement reads no field of the old record. */
  partition: number | undefined
  valueBytes: number
}

/**
 * Whoever writes a key keeps its cached change (a table keeps it in its entry for the key), so a later change of
 * the key finds it without hashing or looking the key up.
 */
export interface ChangeOwner {
  cached: CachedChange | undefined
}

/**
 * The latest changelog record of each key of compacted changelogs, waiting for the next checkpoint (Kafka Streams'
 * record cache, `statestore.cache.max.bytes`): a key changed many times between two checkpoints is written once,
 * with its last value. Changes leave in the order their keys were first changed; a key changed through two owners
 * (its table entry was evicted and made again) or in two partitions has one record each, in order, so the last
 * value of the key in each partition stays last.
 */
export class ChangelogCache {
  #changes: CachedChange[] = []
  #round = 0
  #bytes = 0

  /** Bytes held (keys, values and a fixed overhead per record). */
  get bytes(): number {
    return this.#bytes
  }

  /** Records held. */
  get size(): number {
    return this.#changes.length
  }

  /** Keeps `record` as the latest of the key `owner` writes. */
  put(record: ProduceRecord, owner: ChangeOwner): void {
    const cached = owner.cached
    const valueBytes = record.value?.length ?? 0
    if (cached !== undefined && cached.round === this.#round && cached.partition === record.partition) {
      this.#bytes += valueBytes - cached.valueBytes
      cached.record = record
      cached.valueBytes = valueBytes
      return
    }
    const change = { record, round: this.#round, partition: record.partition, valueBytes }
    owner.cached = change
    this.#changes.push(change)
    this.#bytes += (record.key?.length ?? 0) + valueBytes + ENTRY_OVERHEAD
  }

  /** Moves every record held into `into`, in order; the cache is then empty. */
  drain(into: ProduceRecord[]): void {
    for (const change of this.#changes) into.push(change.record)
    this.clear()
  }

  /** Drops every record held (an aborted transaction's changes). */
  clear(): void {
    if (this.#changes.length > 0) this.#changes = []
    this.#round++
    this.#bytes = 0
  }
}
