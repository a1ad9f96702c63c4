import { currentEvent } from '../agents/context.ts'
import type { Table } from './table.ts'
import type { WriteOptions } from './types.ts'
import { decodeWindowKey, encodeWindowKey } from './window-keys.ts'
import { type RelativeTo, toMs, WindowView, type WindowViewState, windowTracking } from './window-view.ts'
import type { Window, WindowRange } from './windows.ts'

type WindowState<K, V> = WindowViewState<K, V, Window>

/**
 * A windowed view of a table (Faust's WindowWrapper): `get(key)` gives the key's WindowSet; `set`/`update` change
 * every window holding the current time (one for tumbling and sliding windows, size/step for hopping ones).
 * Changelog keys are `[key, [start, end]]` in seconds, as Faust writes them.
 */
export class WindowedTable<K = unknown, V = unknown> extends WindowView<K, V, Window, WindowState<K, V>> {
  constructor(table: Table<K, V>, window: Window, defaultValue: (() => V) | undefined, relativeTo?: RelativeTo)
  constructor(state: WindowState<K, V>, relativeTo: RelativeTo)
  constructor(a: unknown, b: unknown, c?: unknown, d?: unknown) {
    if (typeof b === 'string' || typeof b === 'function') {
      super(a as WindowState<K, V>, b as RelativeTo)
      return
    }
    const table = a as Table<K, V>
    const window = b as Window
    const { expiry, closing } = windowTracking(table, window)
    super(
      { table, window, default: c as (() => V) | undefined, expiry, closing },
      (d as RelativeTo | undefined) ?? 'stream',
    )
    table.windowHooks = {
      decodeKey: (key, origin) => decodeWindowKey(key, window, table.keyCodec, origin),
      accept: (partition, key) => expiry.isOpen(partition, decodeWindowKey(key, window)[1].start),
      replaces: () => [],
      closed: () => {},
      cleared: () => {},
      persist: () => {},
      rebuild: (partitions) => {
        for (const partition of partitions) {
          expiry.rebuild(partition)
          closing.rebuild(partition)
        }
      },
    }
  }

  protected view(relativeTo: RelativeTo): this {
    return new WindowedTable(this.state, relativeTo) as this
  }

  get(key: K): WindowSet<K, V> {
    return new WindowSet(this, key, currentEvent()?.timestamp)
  }

  /** Sets `key` in every window holding the current time. */
  set(key: K, value: V, options?: WriteOptions): void {
    this.#apply(key, () => value, options)
  }

  /** Applies `fn` to the value of `key` (or the default) in every window holding the current time. */
  update(key: K, fn: (value: V) => V, options?: WriteOptions): void {
    this.#apply(key, fn, options)
  }

  /** Deletes `key` from every window holding the current time (closed windows are left alone). */
  delete(key: K, options?: WriteOptions): void {
    const { table, window, closing } = this.state
    const partition = table.rawPartition(key, options)
    const time = this.timestamp()
    closing.observe(partition, time)
    for (const range of window.ranges(time)) {
      if (closing.isClosed(partition, range)) closing.dropped(partition, key, range, time)
      else table.rawPut(partition, encodeWindowKey(table.keyCodec, key, range), null)
    }
    closing.close(partition)
  }

  /** Whether `key` has a value in the window current at the table's time. */
  has(key: K): boolean {
    return this.valueAt(key, this.state.window.current(this.timestamp())) !== undefined
  }

  /** The stored value of `key` in one window, else the default's value (not stored), else undefined. */
  valueAt(key: K, range: WindowRange): V | undefined {
    const { table } = this.state
    const stored = table.rawFind(encodeWindowKey(table.keyCodec, key, range))
    return stored === undefined ? this.state.default?.() : table.decodeV(stored)
  }

  /**
   * `[key, value]` of the keys with a value in the window current at `at` (ms or Date; default the table's time, as
   * its relative-to setting gives it: Faust's `items()` of a windowed table).
   */
  *items(at?: number | Date): IterableIterator<[K, V]> {
    const time = at === undefined ? this.timestamp() : toMs(at)
    const { window } = this.state
    for (const [key, range, value] of this.windows()) {
      if (sameRange(range, window.current(time))) yield [key, value]
    }
  }

  #apply(key: K, fn: (value: V) => V, options: WriteOptions | undefined): void {
    const { table, window, expiry, closing } = this.state
    const partition = table.rawPartition(key, options)
    const time = this.timestamp()
    closing.closeDueAfterRebuild(partition)
    closing.observe(partition, time)
    for (const range of window.ranges(time)) {
      if (closing.isClosed(partition, range)) {
        closing.dropped(partition, key, range, time)
        continue
      }
      const windowKey = encodeWindowKey(table.keyCodec, key, range)
      const stored = table.rawGet(partition, windowKey)
      const current = stored === undefined ? (this.state.default?.() as V) : table.decodeV(stored)
      table.rawPut(partition, windowKey, table.encodeV(fn(current)))
      expiry.touched(partition, range, windowKey)
      closing.track(partition, range, windowKey)
    }
    closing.close(partition)
  }
}

function sameRange(a: WindowRange, b: WindowRange): boolean {
  return a.start === b.start && a.end === b.end
}

/** The windows of one key (Faust's WindowSet): pick one by time. */
export class WindowSet<K, V> {
  readonly #table: WindowedTable<K, V>
  readonly #key: K
  readonly #eventTime: number | undefined

  constructor(table: WindowedTable<K, V>, key: K, eventTime: number | undefined) {
    this.#table = table
    this.#key = key
    this.#eventTime = eventTime
  }

  /** The window of the table's time (its relative-to setting). */
  value(): V | undefined {
    return this.#table.valueAt(this.#key, this.#table.window.current(this.#table.timestamp()))
  }

  /** The window of the event being processed (stream time). */
  current(): V | undefined {
    return this.#table.valueAt(this.#key, this.#table.window.current(this.#eventTime ?? this.#table.now()))
  }

  /** The earliest window holding the app clock's now. */
  now(): V | undefined {
    return this.#table.valueAt(this.#key, this.#table.window.earliest(this.#table.now()))
  }

  /** The window current `d` ms before the event's time. */
  delta(d: number): V | undefined {
    return this.#table.valueAt(this.#key, this.#table.window.delta(this.#eventTime ?? this.#table.now(), d))
  }
}
