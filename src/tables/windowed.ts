import { currentEvent } from '../agents/context.ts'
import { DecodeError, type MessageOrigin } from '../errors.ts'
import { json } from '../models/codec.ts'
import { pyFloat, rawJSON } from '../models/pyjson.ts'
import type { FieldDescriptor } from '../streams/types.ts'
import { type WindowCloseHandler, WindowExpiry } from './expiry.ts'
import type { TableKeys } from './keys.ts'
import type { Table } from './table.ts'
import type { WriteOptions } from './types.ts'
import type { Window, WindowRange } from './windows.ts'

/** Where a windowed table takes "now" from: the event's time, the wall clock, or a field of the event's value. */
export type RelativeTo = 'stream' | 'now' | ((value: unknown) => number | Date)

interface WindowState<K, V> {
  readonly table: Table<K, V>
  readonly window: Window
  readonly default: (() => V) | undefined
  readonly expiry: WindowExpiry
}

function toMs(time: number | Date): number {
  return typeof time === 'number' ? time : time.getTime()
}

/**
 * A windowed view of a table (Faust's WindowWrapper): `get(key)` gives the key's WindowSet; `set`/`update` change
 * every window holding the current time (one for tumbling and sliding windows, size/step for hopping ones).
 * Changelog keys are `[key, [start, end]]` in seconds, as Faust writes them.
 */
export class WindowedTable<K = unknown, V = unknown> {
  readonly #state: WindowState<K, V>
  readonly #relativeTo: RelativeTo

  constructor(table: Table<K, V>, window: Window, defaultValue: (() => V) | undefined, relativeTo?: RelativeTo)
  constructor(state: WindowState<K, V>, relativeTo: RelativeTo)
  constructor(a: unknown, b: unknown, c?: unknown, d?: unknown) {
    if (typeof b === 'string' || typeof b === 'function') {
      this.#state = a as WindowState<K, V>
      this.#relativeTo = b as RelativeTo
      return
    }
    const table = a as Table<K, V>
    const window = b as Window
    const expiry = new WindowExpiry(window, {
      log: table.log,
      store: (partition) => table.store(partition),
      decodeWindowKey: (key) => decodeWindowKey(key, window, table.keyCodec),
      decodeValue: (value) => table.decodeV(value),
    })
    this.#state = { table, window, default: c as (() => V) | undefined, expiry }
    this.#relativeTo = (d as RelativeTo | undefined) ?? 'stream'
    table.windowHooks = {
      decodeKey: (key, origin) => decodeWindowKey(key, window, table.keyCodec, origin),
      accept: (partition, key) => expiry.isOpen(partition, decodeWindowKey(key, window)[1].start),
      rebuild: (partitions) => {
        for (const partition of partitions) expiry.rebuild(partition)
      },
    }
  }

  get name(): string {
    return this.#state.table.name
  }
  get table(): Table<K, V> {
    return this.#state.table
  }
  get window(): Window {
    return this.#state.window
  }
  /** Windows closed so far by expiry. */
  get closedWindows(): number {
    return this.#state.expiry.closed
  }

  /** Windows chosen by the time of the event being processed (the default). */
  relativeToStream(): WindowedTable<K, V> {
    return new WindowedTable(this.#state, 'stream')
  }

  /** Windows chosen by the wall clock. */
  relativeToNow(): WindowedTable<K, V> {
    return new WindowedTable(this.#state, 'now')
  }

  /** Windows chosen by a field of the event's value (a record field, or a function): ms since the epoch or a Date. */
  relativeToField(field: FieldDescriptor | ((value: any) => number | Date)): WindowedTable<K, V> {
    const read =
      typeof field === 'function' ? field : (value: unknown) => (value as Record<string, number | Date>)[field.name]
    return new WindowedTable(this.#state, read as RelativeTo)
  }

  /** Calls `handler(key, value, range)` once per window dropped by expiry (after it left the store). */
  onWindowClose(handler: WindowCloseHandler): this {
    this.#state.expiry.onClose(handler)
    return this
  }

  /** Resolves when the `onWindowClose` calls queued so far have run. */
  closesSettled(): Promise<void> {
    return this.#state.expiry.settled()
  }

  /** The app clock's time (a test driver's virtual clock, else the wall clock). */
  now(): number {
    return this.#state.table.now()
  }

  /** The timestamp windows are chosen by, in ms. Outside an event, stream time falls back to the wall clock. */
  timestamp(): number {
    const relativeTo = this.#relativeTo
    const now = () => this.#state.table.now()
    if (relativeTo === 'now') return now()
    const event = currentEvent()
    if (relativeTo === 'stream') return event?.timestamp ?? now()
    if (event === undefined) return now()
    return toMs(relativeTo(event.value))
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

  /** Deletes `key` from every window holding the current time. */
  delete(key: K, options?: WriteOptions): void {
    const { table, window } = this.#state
    const partition = table.rawPartition(key, options)
    for (const range of window.ranges(this.timestamp()))
      table.rawPut(partition, encodeWindowKey(table.keyCodec, key, range), null)
  }

  /** Whether `key` has a value in the window current at the table's time. */
  has(key: K): boolean {
    return this.valueAt(key, this.#state.window.current(this.timestamp())) !== undefined
  }

  /** The stored value of `key` in one window, else the default's value (not stored), else undefined. */
  valueAt(key: K, range: WindowRange): V | undefined {
    const { table } = this.#state
    const stored = table.rawFind(encodeWindowKey(table.keyCodec, key, range))
    return stored === undefined ? this.#state.default?.() : table.decodeV(stored)
  }

  /** Every `[key, window, value]` held (the partitions this worker holds). */
  *items(): IterableIterator<[K, WindowRange, V]> {
    const { table, window } = this.#state
    for (const partition of table.activePartitions) {
      for (const [key, value] of table.rawEntries(partition)) {
        const [userKey, range] = decodeWindowKey(key, window, table.keyCodec)
        yield [userKey as K, range, table.decodeV(value)]
      }
    }
  }

  /** Expires stale windows now (it also happens on every windowed write). */
  expire(): void {
    for (const partition of this.#state.table.activePartitions) this.#state.expiry.expire(partition)
  }

  #apply(key: K, fn: (value: V) => V, options: WriteOptions | undefined): void {
    const { table, window, expiry } = this.#state
    const partition = table.rawPartition(key, options)
    const ranges = window.ranges(this.timestamp())
    for (const range of ranges) {
      const windowKey = encodeWindowKey(table.keyCodec, key, range)
      const stored = table.rawGet(partition, windowKey)
      const current = stored === undefined ? (this.#state.default?.() as V) : table.decodeV(stored)
      table.rawPut(partition, windowKey, table.encodeV(fn(current)))
      expiry.touched(partition, range, windowKey)
    }
  }
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

/**
 * `[key, [start, end]]` as Faust writes it: the key in the table key type's JSON form (a raw topic's Buffer key as
 * its text, a record as its fields), seconds as Python floats (`60.0`, `119.9`).
 */
export function encodeWindowKey(keys: TableKeys, key: unknown, range: WindowRange): Buffer {
  return json.encode([keys.jsonPart(key), [rawJSON(pyFloat(range.key[0])), rawJSON(pyFloat(range.key[1]))]])
}

/** The key and window of a windowed key; the key decoded by `keys` when given (else left as JSON). */
export function decodeWindowKey(
  bytes: Buffer,
  window: Window,
  keys?: TableKeys,
  origin?: MessageOrigin,
): [unknown, WindowRange] {
  let decoded: [unknown, [number, number]]
  try {
    decoded = JSON.parse(bytes.toString('utf8'))
  } catch (cause) {
    throw new DecodeError(`not a windowed key: ${bytes.toString('utf8').slice(0, 80)}`, origin, { cause })
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    !Array.isArray(decoded[1]) ||
    typeof decoded[1][0] !== 'number'
  ) {
    throw new DecodeError(`not a windowed key: ${bytes.toString('utf8').slice(0, 80)}`, origin)
  }
  return [keys === undefined ? decoded[0] : keys.fromJsonPart(decoded[0], origin), window.fromKey(decoded[1])]
}
