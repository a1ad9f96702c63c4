import type { Topic } from '../channels/topic.ts'
import { FaustusError } from '../errors.ts'
import type { FieldDescriptor } from '../streams/types.ts'
import { WindowClosing } from './closing.ts'
import { type WindowCloseHandler, WindowExpiry } from './expiry.ts'
import type { Table } from './table.ts'
import type { WriteOptions } from './types.ts'
import {
  decodeWindowKey,
  encodeWindowKey,
  type FinalResult,
  fieldTime,
  finalResultSender,
  noGrace,
  type RelativeTo,
  timeOf,
  toMs,
} from './windowed.ts'
import type { SessionWindow, WindowRange } from './windows.ts'

interface SessionState<K, V> {
  readonly table: Table<K, V>
  readonly window: SessionWindow
  readonly default: (() => V) | undefined
  readonly merge: (earlier: V, later: V) => V
  readonly expiry: WindowExpiry
  readonly closing: WindowClosing
  /** partition -> key id (its windowed key at range 0) -> the key's sessions. */
  readonly index: Map<number, Map<string, WindowRange[]>>
}

const KEY_ID: WindowRange = { start: 0, end: 0, key: [0, 0] }

/**
 * A table over session windows (Kafka Streams' `SessionWindows`): `update(key, fn)` finds the key's sessions within
 * `gap` ms of the event's time, merges them (`merge`) and the event into one session `[first, last]`, and stores it
 * under `[key, [start, end]]` (seconds, as windowed keys): the merged sessions get changelog tombstones, so a
 * restart recovers the sessions as they were. With `grace`, a session closes when stream time reaches
 * `end + gap + grace`: its final result goes to `onWindowClose`/`finalResults`, and later events for it are dropped.
 */
export class SessionTable<K = unknown, V = unknown> {
  readonly #state: SessionState<K, V>
  readonly #relativeTo: RelativeTo

  constructor(
    table: Table<K, V>,
    window: SessionWindow,
    defaultValue: (() => V) | undefined,
    merge: (earlier: V, later: V) => V,
  )
  constructor(state: SessionState<K, V>, relativeTo: RelativeTo)
  constructor(a: unknown, b: unknown, c?: unknown, d?: unknown) {
    if (typeof b === 'string' || typeof b === 'function') {
      this.#state = a as SessionState<K, V>
      this.#relativeTo = b as RelativeTo
      return
    }
    const table = a as Table<K, V>
    const window = b as SessionWindow
    const index = new Map<number, Map<string, WindowRange[]>>()
    const decode = (key: Buffer) => decodeWindowKey(key, window, table.keyCodec)
    const expiry = new WindowExpiry(window, {
      log: table.log,
      store: (partition) => table.store(partition),
      decodeWindowKey: decode,
      decodeValue: (value) => table.decodeV(value),
    })
    const closing = new WindowClosing(window, {
      appId: table.appId,
      name: table.name,
      log: table.log,
      store: (partition) => table.store(partition),
      decodeWindowKey: decode,
      decodeValue: (value) => table.decodeV(value),
      remove: (partition, key, headers) => table.rawPut(partition, key, null, headers),
    })
    const merge = d as SessionState<K, V>['merge']
    if (typeof merge !== 'function') {
      throw new FaustusError('FST_APP_DEFINITION', `session table "${table.name}" needs merge(earlier, later)`)
    }
    this.#state = { table, window, default: c as (() => V) | undefined, merge, expiry, closing, index }
    this.#relativeTo = 'stream'
    table.windowHooks = {
      decodeKey: (key, origin) => decodeWindowKey(key, window, table.keyCodec, origin),
      accept: (partition, key) => expiry.isOpen(partition, decode(key)[1].start),
      rebuild: (partitions) => {
        for (const partition of partitions) {
          index.delete(partition)
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
  get window(): SessionWindow {
    return this.#state.window
  }
  /** Sessions closed so far: by stream time (with a grace period), else by expiry. */
  get closedWindows(): number {
    return this.#state.closing.enabled ? this.#state.closing.closed : this.#state.expiry.closed
  }
  /** Updates dropped because their session was closed (late events; only with a grace period). */
  get lateDropped(): number {
    return this.#state.closing.late
  }
  streamTime(partition: number): number {
    return this.#state.closing.streamTime(partition)
  }

  relativeToStream(): SessionTable<K, V> {
    return new SessionTable(this.#state, 'stream')
  }
  relativeToNow(): SessionTable<K, V> {
    return new SessionTable(this.#state, 'now')
  }
  relativeToField(field: FieldDescriptor | ((value: any) => number | Date)): SessionTable<K, V> {
    return new SessionTable(this.#state, fieldTime(field))
  }

  /** The time sessions are chosen by, in ms (the event's by default). */
  timestamp(): number {
    return timeOf(this.#relativeTo, () => this.#state.table.now())
  }

  /** Calls `handler(key, value, range)` once per session when it closes (see the class and `WindowedTable`). */
  onWindowClose(handler: WindowCloseHandler): this {
    if (this.#state.closing.enabled) this.#state.closing.onClose(handler)
    else this.#state.expiry.onClose(handler)
    return this
  }

  /** Sends one record per session when it closes: keyed by the key, valued `{ start, end, value }` by default. */
  finalResults<OV = FinalResult<V>, OK = K>(
    topic: Topic<OV, OK>,
    toMessage?: (key: K, value: V, range: WindowRange) => { key?: OK; value: OV },
  ): this {
    if (!this.#state.closing.enabled) throw noGrace(this.name)
    return this.onWindowClose(finalResultSender(topic, toMessage))
  }

  async closesSettled(): Promise<void> {
    await this.#state.expiry.settled()
    await this.#state.closing.settled()
  }

  /**
   * Applies `fn` to the value of the key's session at the current time: the sessions within `gap` of it merged
   * (`merge`, earliest first), else the default. Returns the new value, or undefined when the session was closed.
   */
  update(key: K, fn: (value: V) => V, options?: WriteOptions): V | undefined {
    const { table, window, closing, expiry } = this.#state
    const partition = table.rawPartition(key, options)
    const time = this.timestamp()
    closing.observe(partition, time)
    const sessions = this.#sessions(partition, key)
    const near = sessions.filter((s) => s.start - window.gap <= time && time <= s.end + window.gap)
    const merged = window.range(Math.min(time, ...near.map((s) => s.start)), Math.max(time, ...near.map((s) => s.end)))
    if (closing.isClosed(partition, merged)) {
      closing.dropped(partition, key, merged, time)
      return undefined
    }
    let value: V | undefined
    for (const session of near) {
      const bytes = encodeWindowKey(table.keyCodec, key, session)
      const stored = table.decodeV(table.rawGet(partition, bytes)!)
      value = value === undefined ? stored : this.#state.merge(value, stored)
      if (session.start !== merged.start || session.end !== merged.end) table.rawPut(partition, bytes, null)
    }
    const next = fn(value ?? (this.#state.default?.() as V))
    const mergedKey = encodeWindowKey(table.keyCodec, key, merged)
    table.rawPut(partition, mergedKey, table.encodeV(next))
    const kept = sessions.filter((s) => !near.includes(s))
    kept.push(merged)
    kept.sort((x, y) => x.start - y.start)
    this.#keyIndex(partition).set(keyId(table, key), kept)
    expiry.touched(partition, merged, mergedKey)
    closing.track(partition, merged, mergedKey)
    closing.close(partition)
    return next
  }

  /** The key's sessions with their values, earliest first (from the partitions this worker holds). */
  get(key: K): [WindowRange, V][] {
    const { table } = this.#state
    const out: [WindowRange, V][] = []
    for (const partition of table.activePartitions) {
      for (const range of this.#sessions(partition, key)) {
        out.push([range, table.decodeV(table.rawGet(partition, encodeWindowKey(table.keyCodec, key, range))!)])
      }
    }
    return out.sort(([x], [y]) => x.start - y.start)
  }

  /** Every `[key, session, value]` held (the partitions this worker holds). */
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
   * `[key, value]` of the sessions open at `at` (ms or Date; default the table's time): started by then and not
   * yet past their inactivity gap (`start <= at < end + gap`), i.e. the session an event at `at` would extend.
   */
  *items(at?: number | Date): IterableIterator<[K, V]> {
    const time = at === undefined ? this.timestamp() : toMs(at)
    const gap = this.#state.window.gap
    for (const [key, range, value] of this.windows()) {
      if (range.start <= time && time < range.end + gap) yield [key, value]
    }
  }
  *keys(at?: number | Date): IterableIterator<K> {
    for (const [key] of this.items(at)) yield key
  }
  *values(at?: number | Date): IterableIterator<V> {
    for (const [, value] of this.items(at)) yield value
  }
  get size(): number {
    return this.sizeAt()
  }
  sizeAt(at?: number | Date): number {
    let n = 0
    for (const _ of this.items(at)) n++
    return n
  }

  /** Expires stale sessions and closes the ones due at each partition's stream time. */
  expire(): void {
    for (const partition of this.#state.table.activePartitions) {
      this.#state.expiry.expire(partition)
      this.#state.closing.close(partition)
    }
  }

  #keyIndex(partition: number): Map<string, WindowRange[]> {
    const { index, table, window } = this.#state
    let keys = index.get(partition)
    if (keys === undefined) {
      keys = new Map()
      for (const [bytes] of table.rawEntries(partition)) {
        const [userKey, range] = decodeWindowKey(bytes, window, table.keyCodec)
        const id = keyId(table, userKey)
        const list = keys.get(id)
        if (list === undefined) keys.set(id, [range])
        else list.push(range)
      }
      for (const list of keys.values()) list.sort((x, y) => x.start - y.start)
      index.set(partition, keys)
    }
    return keys
  }

  /** The key's sessions still in the store (expiry and closing delete them behind the index's back). */
  #sessions(partition: number, key: K): WindowRange[] {
    const { table } = this.#state
    const keys = this.#keyIndex(partition)
    const id = keyId(table, key)
    const list = keys.get(id)
    if (list === undefined) return []
    const live = list.filter(
      (range) => table.rawGet(partition, encodeWindowKey(table.keyCodec, key, range)) !== undefined,
    )
    if (live.length === 0) keys.delete(id)
    else if (live.length !== list.length) keys.set(id, live)
    return live
  }
}

function keyId(table: Table<any, any>, key: unknown): string {
  return encodeWindowKey(table.keyCodec, key, KEY_ID).toString('latin1')
}
