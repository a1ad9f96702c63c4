import { currentEvent } from '../agents/context.ts'
import type { Topic } from '../channels/topic.ts'
import { FaustusError } from '../errors.ts'
import type { FieldDescriptor } from '../streams/types.ts'
import { WindowClosing } from './closing.ts'
import { type WindowCloseHandler, WindowExpiry } from './expiry.ts'
import type { Table } from './table.ts'
import { decodeWindowKey } from './window-keys.ts'
import type { Window, WindowRange } from './windows.ts'

/** Where a windowed table takes "now" from: the event's time, the wall clock, or a field of the event's value. */
export type RelativeTo = 'stream' | 'now' | ((value: unknown) => number | Date)

/** What windowed and session tables hold: the table, its window, the default, and how windows expire and close. */
export interface WindowViewState<K, V, W extends Window> {
  readonly table: Table<K, V>
  readonly window: W
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
 * Expiry (Faust's: windows leave the store after their expiry) and stream-time closing (with a grace period:
 * closed windows are deleted from store and changelog) of the windows of `table`.
 */
export function windowTracking(
  table: Table<any, any>,
  window: Window,
): Pick<WindowViewState<unknown, unknown, Window>, 'expiry' | 'closing'> {
  const decode = (key: Buffer) => decodeWindowKey(key, window, table.keyCodec)
  const store = (partition: number) => table.store(partition)
  const decodeValue = (value: Buffer) => table.decodeV(value)
  return {
    expiry: new WindowExpiry(window, { log: table.log, store, decodeWindowKey: decode, decodeValue }),
    closing: new WindowClosing(window, {
      appId: table.appId,
      name: table.name,
      log: table.log,
      store,
      decodeWindowKey: decode,
      decodeValue,
      remove: (partition, key, headers) => table.rawRemoveClosed(partition, key, headers),
    }),
  }
}

/**
 * What a windowed table and a session table share: their window's closing and expiry, final results, the time
 * windows are chosen by, and reading every window held. `view` makes the same table relative to another time.
 */
export abstract class WindowView<K, V, W extends Window, S extends WindowViewState<K, V, W>> {
  protected readonly state: S
  protected readonly relativeTo: RelativeTo

  protected constructor(state: S, relativeTo: RelativeTo) {
    this.state = state
    this.relativeTo = relativeTo
  }

  protected abstract view(relativeTo: RelativeTo): this

  /** `[key, value]` of the windows current at `at` (ms or Date; default the table's time). */
  abstract items(at?: number | Date): IterableIterator<[K, V]>

  get name(): string {
    return this.state.table.name
  }
  get table(): Table<K, V> {
    return this.state.table
  }
  get window(): W {
    return this.state.window
  }
  /** Windows closed so far: by stream time (with a grace period), else by expiry. */
  get closedWindows(): number {
    return this.state.closing.enabled ? this.state.closing.closed : this.state.expiry.closed
  }
  /** Updates dropped because their window was closed (late events; only with a grace period). */
  get lateDropped(): number {
    return this.state.closing.late
  }
  /** The stream time of a partition (largest event time seen by this table there); -Infinity before any. */
  streamTime(partition: number): number {
    return this.state.closing.streamTime(partition)
  }

  /** Windows chosen by the time of the event being processed (the default). */
  relativeToStream(): this {
    return this.view('stream')
  }
  /** Windows chosen by the wall clock. */
  relativeToNow(): this {
    return this.view('now')
  }
  /** Windows chosen by a field of the event's value (a record field, or a function): ms since the epoch or a Date. */
  relativeToField(field: FieldDescriptor | ((value: any) => number | Date)): this {
    return this.view(fieldTime(field))
  }

  /**
   * Calls `handler(key, value, range)` once per window when it closes. With a grace period, a window closes when the
   * partition's stream time reaches its end + grace: the handler gets its final value, inside the event that closed
   * it (what it forwards is committed with that event), then the window is deleted. Without one, as Faust: when the
   * window expires (after it left the store).
   */
  onWindowClose(handler: WindowCloseHandler): this {
    if (this.state.closing.enabled) this.state.closing.onClose(handler)
    else this.state.expiry.onClose(handler)
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
    if (!this.state.closing.enabled) throw noGrace(this.name)
    return this.onWindowClose(finalResultSender(topic, toMessage))
  }

  /** Resolves when the `onWindowClose` calls queued so far have run. */
  async closesSettled(): Promise<void> {
    await this.state.expiry.settled()
    await this.state.closing.settled()
  }

  /** The app clock's time (a test driver's virtual clock, else the wall clock). */
  now(): number {
    return this.state.table.now()
  }

  /** The timestamp windows are chosen by, in ms. Outside an event, stream time falls back to the wall clock. */
  timestamp(): number {
    return timeOf(this.relativeTo, () => this.state.table.now())
  }

  /** Every `[key, window, value]` held (the partitions this worker holds), every window. */
  *windows(): IterableIterator<[K, WindowRange, V]> {
    const { table, window } = this.state
    for (const partition of table.activePartitions) {
      for (const [key, value] of table.rawEntries(partition)) {
        const [userKey, range] = decodeWindowKey(key, window, table.keyCodec)
        yield [userKey as K, range, table.decodeV(value)]
      }
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
    for (const partition of this.state.table.activePartitions) {
      this.state.expiry.expire(partition)
      this.state.closing.close(partition)
    }
  }
}
