import { currentEvent } from '../agents/context.ts'
import type { Topic } from '../channels/topic.ts'
import { DecodeError, FaustusError, type MessageOrigin } from '../errors.ts'
import { json } from '../models/codec.ts'
import { pyFloat, rawJSON } from '../models/pyjson.ts'
import type { FieldDescriptor } from '../streams/types.ts'
import { WindowClosing } from './closing.ts'
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
  readonly closing: WindowClosing
}

/** What `finalResults` sends by default: the key, and the window (ms) with its final value. */
export interface FinalResult<V = unknown> {
  start: number
  end: number
  value: V
}

export function toMs(time: number | Date): number {
  return typeof time === 'number' ? time : time.getTime()
}

/** The time windows are chosen by: the event's, the clock's, or a field's; outside an event, the clock's. */
export function timeOf(relativeTo: RelativeTo, now: () => number): number {
  if (relativeTo === 'now') return now()
  const event = currentEvent()
  if (relativeTo === 'stream') return event?.timestamp ?? now()
  if (event === undefined) return now()
  return toMs(relativeTo(event.value))
}

/** A field reader for `relativeToField`: a record field or a function of the value. */
export function fieldTime(field: FieldDescriptor | ((value: any) => number | Date)): RelativeTo {
  return (
    typeof field === 'function' ? field : (value: unknown) => (value as Record<string, number | Date>)[field.name]
  ) as RelativeTo
}

/** An `onWindowClose` handler forwarding final results to a topic (see `finalResults`). */
export function finalResultSender<K, V, OV, OK>(
  topic: Topic<OV, OK>,
  toMessage: ((key: K, value: V, range: WindowRange) => { key?: OK; value: OV }) | undefined,
): WindowCloseHandler {
  const make =
    toMessage ??
    ((key: K, value: V, range: WindowRange) =>
      ({ key, value: { start: range.start, end: range.end, value } }) as unknown as { key?: OK; value: OV })
  return (key, value, range) => {
    const message = make(key as K, value as V, range)
    return topic.forward({ key: message.key, value: message.value })
  }
}

/** The error of `finalResults` on a window without a grace period. */
export function noGrace(table: string): FaustusError {
  return new FaustusError(
    'FST_APP_DEFINITION',
    `finalResults of table "${table}" needs a window grace period (grace: 0 for none)`,
  )
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
    const closing = windowClosing(table, window)
    this.#state = { table, window, default: c as (() => V) | undefined, expiry, closing }
    this.#relativeTo = (d as RelativeTo | undefined) ?? 'stream'
    table.windowHooks = {
      decodeKey: (key, origin) => decodeWindowKey(key, window, table.keyCodec, origin),
      accept: (partition, key) => expiry.isOpen(partition, decodeWindowKey(key, window)[1].start),
      rebuild: (partitions) => {
        for (const partition of partitions) {
          expiry.rebuild(partition)
          closing.rebuild(partition)
        }
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
  /** Windows closed so far: by stream time (with a grace period), else by expiry. */
  get closedWindows(): number {
    return this.#state.closing.enabled ? this.#state.closing.closed : this.#state.expiry.closed
  }

  /** Window updates dropped because their window was closed (late events; only with a grace period). */
  get lateDropped(): number {
    return this.#state.closing.late
  }

  /** The stream time of a partition (largest event time seen by this table there); -Infinity before any. */
  streamTime(partition: number): number {
    return this.#state.closing.streamTime(partition)
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
    return new WindowedTable(this.#state, fieldTime(field))
  }

  /**
   * Calls `handler(key, value, range)` once per window when it closes. With a grace period, a window closes when the
   * partition's stream time reaches its end + grace: the handler gets its final value, inside the event that closed
   * it (what it forwards is committed with that event), then the window is deleted. Without one, as Faust: when the
   * window expires (after it left the store).
   */
  onWindowClose(handler: WindowCloseHandler): this {
    if (this.#state.closing.enabled) this.#state.closing.onClose(handler)
    else this.#state.expiry.onClose(handler)
    return this
  }

  /**
   * Sends one record per window when it closes (Kafka Streams' `suppress(untilWindowCloses)`, Quix's `final()`):
   * by default keyed by the key, valued `{ start, end, value }` (ms); `toMessage` chooses another message. Needs a
   * grace period (0 for none), so that "closed" is defined by stream time.
   */
  finalResults<OV = FinalResult<V>, OK = K>(
    topic: Topic<OV, OK>,
    toMessage?: (key: K, value: V, range: WindowRange) => { key?: OK; value: OV },
  ): this {
    if (!this.#state.closing.enabled) throw noGrace(this.name)
    return this.onWindowClose(finalResultSender(topic, toMessage))
  }

  /** Resolves when the `onWindowClose` calls queued so far have run. */
  async closesSettled(): Promise<void> {
    await this.#state.expiry.settled()
    await this.#state.closing.settled()
  }

  /** The app clock's time (a test driver's virtual clock, else the wall clock). */
  now(): number {
    return this.#state.table.now()
  }

  /** The timestamp windows are chosen by, in ms. Outside an event, stream time falls back to the wall clock. */
  timestamp(): number {
    return timeOf(this.#relativeTo, () => this.#state.table.now())
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
    const { table, window, closing } = this.#state
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
    return this.valueAt(key, this.#state.window.current(this.timestamp())) !== undefined
  }

  /** The stored value of `key` in one window, else the default's value (not stored), else undefined. */
  valueAt(key: K, range: WindowRange): V | undefined {
    const { table } = this.#state
    const stored = table.rawFind(encodeWindowKey(table.keyCodec, key, range))
    return stored === undefined ? this.#state.default?.() : table.decodeV(stored)
  }

  /** Every `[key, window, value]` held (the partitions this worker holds), every window. */
  *windows(): IterableIterator<[K, WindowRange, V]> {
    const { table, window } = this.#state
    for (const partition of table.activePartitions) {
      for (const [key, value] of table.rawEntries(partition)) {
        const [userKey, range] = decodeWindowKey(key, window, table.keyCodec)
        yield [userKey as K, range, table.decodeV(value)]
      }
    }
  }

  /**
   * `[key, value]` of the keys with a value in the window current at `at` (ms or Date; default the table's time, as
   * its relative-to setting gives it: Faust's `items()` of a windowed table).
   */
  *items(at?: number | Date): IterableIterator<[K, V]> {
    const time = at === undefined ? this.timestamp() : toMs(at)
    const { window } = this.#state
    for (const [key, range, value] of this.windows()) {
      if (sameRange(range, window.current(time))) yield [key, value]
    }
  }

  /** The keys with a value in the window current at `at` (default the table's time). */
  *keys(at?: number | Date): IterableIterator<K> {
    for (const [key] of this.items(at)) yield key
  }

  /** The values of the window current at `at` (default the table's time). */
  *values(at?: number | Date): IterableIterator<V> {
    for (const [, value] of this.items(at)) yield value
  }

  /** How many keys have a value in the window current at the table's time (Faust's `len()`). */
  get size(): number {
    return this.sizeAt()
  }

  /** How many keys have a value in the window current at `at` (default the table's time). */
  sizeAt(at?: number | Date): number {
    let n = 0
    for (const _ of this.items(at)) n++
    return n
  }

  /**
   * Expires stale windows now (it also happens on every windowed write), and closes the windows due at each
   * partition's stream time. Outside an event, the tombstones of closed windows are written outside any transaction.
   */
  expire(): void {
    for (const partition of this.#state.table.activePartitions) {
      this.#state.expiry.expire(partition)
      this.#state.closing.close(partition)
    }
  }

  #apply(key: K, fn: (value: V) => V, options: WriteOptions | undefined): void {
    const { table, window, expiry, closing } = this.#state
    const partition = table.rawPartition(key, options)
    const time = this.timestamp()
    closing.observe(partition, time)
    for (const range of window.ranges(time)) {
      if (closing.isClosed(partition, range)) {
        closing.dropped(partition, key, range, time)
        continue
      }
      const windowKey = encodeWindowKey(table.keyCodec, key, range)
      const stored = table.rawGet(partition, windowKey)
      const current = stored === undefined ? (this.#state.default?.() as V) : table.decodeV(stored)
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

/** The stream-time closing of a windowed table (`grace` set), deleting closed windows from store and changelog. */
export function windowClosing(table: Table<any, any>, window: Window): WindowClosing {
  return new WindowClosing(window, {
    appId: table.appId,
    name: table.name,
    log: table.log,
    store: (partition) => table.store(partition),
    decodeWindowKey: (key) => decodeWindowKey(key, window, table.keyCodec),
    decodeValue: (value) => table.decodeV(value),
    remove: (partition, key, headers) => table.rawPut(partition, key, null, headers),
  })
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
