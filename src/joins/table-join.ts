import { FaustusError } from '../errors.ts'
import type { Table } from '../tables/table.ts'

export type TableJoinKind = 'inner' | 'left' | 'outer'

export interface TableJoinOptions<K, L, R, O> {
  /** Default 'inner'. A foreign-key join (`extractor`) is 'inner' or 'left'. */
  kind?: TableJoinKind
  /**
   * A foreign-key join (Kaspr's KasprJoin): the right table's key for a left value. Then only left changes produce
   * results (Kaspr's semantics); the right table is read as it is at that moment (a GlobalTable anywhere, a
   * partitioned one in the left change's partition). Without it, both tables have the same keys and a change on
   * either side recomputes the key (Kafka Streams' KTable–KTable join).
   */
  extractor?: (left: L, key: K) => unknown
  /** The joined value; default `{ left, right }`. */
  joiner?: (left: L | null, right: R | null, key: K) => O
  /** A table the results are written to (same partitions as the left table), keyed as the left table. */
  into?: Table<K, O>
}

export type TableJoinListener<K, O> = (key: K, value: O | null, partition: number) => void

/**
 * A table–table join: a read view (`get`, `entries`) of the joined values, recomputed for a key when either side
 * changes, and, with `into`, materialized in a table of its own (with its changelog), so it outlives restarts and
 * can be served and iterated like any table. `onChange` hears every recomputed key: the new value, or null when the
 * key left the join (a tombstone, as a KTable's).
 */
export class TableJoin<K = unknown, L = unknown, R = unknown, O = unknown> {
  readonly kind: TableJoinKind
  readonly #left: Table<K, L>
  readonly #right: Table<any, R>
  readonly #extractor: ((left: L, key: K) => unknown) | undefined
  readonly #joiner: (left: L | null, right: R | null, key: K) => O
  readonly #into: Table<K, O> | undefined
  readonly #listeners: TableJoinListener<K, O>[] = []

  constructor(left: Table<K, L>, right: Table<any, R>, options: TableJoinOptions<K, L, R, O> = {}) {
    const kind = options.kind ?? 'inner'
    if (!['inner', 'left', 'outer'].includes(kind) || (options.extractor !== undefined && kind === 'outer')) {
      throw new FaustusError(
        'FST_JOIN_DEFINITION',
        `a table–table join is inner, left or outer (a foreign-key join inner or left), not ${String(kind)}`,
      )
    }
    if (options.extractor === undefined && !right.global && left.partitions !== right.partitions) {
      throw new FaustusError(
        'FST_JOIN_COPARTITION',
        `table–table join: "${left.name}" has ${left.partitions} partitions and "${right.name}" has ${right.partitions}: ` +
          'tables joined on their keys must be co-partitioned (or make the right one a GlobalTable)',
        { details: { left: left.name, right: right.name } },
      )
    }
    if (options.into !== undefined && options.into.partitions !== left.partitions) {
      throw new FaustusError(
        'FST_JOIN_COPARTITION',
        `table–table join: result table "${options.into.name}" needs the ${left.partitions} partitions of "${left.name}"`,
      )
    }
    this.kind = kind
    this.#left = left
    this.#right = right
    this.#extractor = options.extractor
    this.#joiner = options.joiner ?? ((l, r) => ({ left: l, right: r }) as O)
    this.#into = options.into
    left.onChange((partition, key) => this.#recompute(partition, left.keyCodec.decode(key) as K))
    if (options.extractor === undefined && right.global) {
      // A global table's change (written here, or by another worker and applied from its changelog) is in no
      // partition of the left table: the key is recomputed in each partition this worker holds it in.
      right.onChange((partition, key) => this.#recomputeHeld(right.keyCodec.decode(key) as K, partition))
      right.onApplied((_, key) => this.#recomputeHeld(right.keyCodec.decode(key) as K))
    } else if (options.extractor === undefined) {
      right.onChange((partition, key) => this.#recompute(partition, right.keyCodec.decode(key) as K))
    }
  }

  /** Calls `listener(key, joined value or null, partition)` whenever a key's joined value is recomputed. */
  onChange(listener: TableJoinListener<K, O>): this {
    this.#listeners.push(listener)
    return this
  }

  /** The joined value of `key` now, or undefined when the key is not in the join. */
  get(key: K): O | undefined {
    return this.#joined(undefined, key)
  }

  /** The joined entries of the partitions this worker holds. */
  *entries(): IterableIterator<[K, O]> {
    const seen = new Set<string>()
    for (const key of this.#left.keys()) {
      seen.add(JSON.stringify(key))
      const value = this.#joined(undefined, key)
      if (value !== undefined) yield [key, value]
    }
    if (this.kind !== 'outer') return
    for (const key of this.#right.keys()) {
      if (seen.has(JSON.stringify(key))) continue
      const value = this.#joined(undefined, key as K)
      if (value !== undefined) yield [key as K, value]
    }
  }

  #joined(partition: number | undefined, key: K): O | undefined {
    const left = this.#left.lookupIn(partition, key)
    const rightKey = this.#extractor === undefined ? key : left === undefined ? undefined : this.#extractor(left, key)
    const rightPartition = this.#right.global ? undefined : partition
    const right =
      rightKey === undefined || rightKey === null ? undefined : this.#right.lookupIn(rightPartition, rightKey)
    const present =
      this.kind === 'inner'
        ? left !== undefined && right !== undefined
        : this.kind === 'left'
          ? left !== undefined
          : left !== undefined || right !== undefined
    return present ? this.#joiner(left ?? null, right ?? null, key) : undefined
  }

  /**
   * Recomputes `key` in the left partitions this worker holds where the left table or the result table has it, and
   * in `written` (the partition of a change written here), so an outer join still places a right-only key.
   */
  #recomputeHeld(key: K, written?: number): void {
    for (const partition of this.#left.activePartitions) {
      const held =
        partition === written ||
        this.#left.lookupIn(partition, key) !== undefined ||
        this.#into?.lookupIn(partition, key) !== undefined
      if (held) this.#recompute(partition, key)
    }
  }

  #recompute(partition: number, key: K): void {
    const value = this.#joined(partition, key)
    if (this.#into !== undefined) {
      if (value === undefined) {
        if (this.#into.lookupIn(partition, key) !== undefined) this.#into.delete(key, { partition })
      } else this.#into.set(key, value, { partition })
    }
    for (const listener of this.#listeners) listener(key, value ?? null, partition)
  }
}

/** Joins two tables into a `TableJoin` (see there); define it with the tables, before the app starts. */
export function joinTables<K, L, R, O = { left: L | null; right: R | null }>(
  left: Table<K, L>,
  right: Table<any, R>,
  options: TableJoinOptions<K, L, R, O> = {},
): TableJoin<K, L, R, O> {
  return new TableJoin(left, right, options)
}
