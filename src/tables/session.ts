import { DecodeError, FaustusError, type MessageOrigin } from '../errors.ts'
import { ClosedSessions } from './closed-sessions.ts'
import type { Table } from './table.ts'
import type { WriteOptions } from './types.ts'
import { decodeWindowKey, encodeWindowKey } from './window-keys.ts'
import { type RelativeTo, toMs, WindowView, type WindowViewState, windowTracking } from './window-view.ts'
import type { SessionWindow, WindowRange } from './windows.ts'

interface SessionState<K, V> extends WindowViewState<K, V, SessionWindow> {
  readonly merge: (earlier: V, later: V) => V
  /** partition -> key id (its windowed key at range 0) -> the key's sessions. */
  readonly index: Map<number, Map<string, WindowRange[]>>
  readonly closed: ClosedSessions
}

const KEY_ID: WindowRange = { start: 0, end: 0, key: [0, 0] }

/**
 * Header of a merged session's changelog record: the windows (`[[start, end], ...]`, seconds as in windowed keys)
 * of the key's sessions it replaces. Recovery deletes them when it applies the record, so the update is whole in
 * the changelog even when a crash loses the tombstones written after it.
 */
export const REPLACES_HEADER = 'faustus-replaces'

function encodeReplaced(ranges: WindowRange[]): string {
  return JSON.stringify(ranges.map((range) => range.key))
}

function decodeReplaced(header: Buffer, window: SessionWindow, origin: MessageOrigin): WindowRange[] {
  const text = header.toString('utf8')
  const invalid = (cause?: unknown) =>
    new DecodeError(`${REPLACES_HEADER} is not a list of windows: ${text.slice(0, 80)}`, origin, { cause })
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch (cause) {
    throw invalid(cause)
  }
  if (!Array.isArray(parsed)) throw invalid()
  return parsed.map((pair: unknown) => {
    if (!Array.isArray(pair) || typeof pair[0] !== 'number' || typeof pair[1] !== 'number') throw invalid()
    return window.fromKey([pair[0], pair[1]])
  })
}

/**
 * A table over session windows (Kafka Streams' `SessionWindows`): `update(key, fn)` finds the key's sessions within
 * `gap` ms of the event's time, merges them (`merge`) and the event into one session `[first, last]`, and stores it
 * under `[key, [start, end]]` (seconds, as windowed keys): the merged sessions get changelog tombstones, so a
 * restart recovers the sessions as they were. With `grace`, a session closes when stream time reaches
 * `end + gap + grace`: its final result goes to `onWindowClose`/`finalResults`, and later events for it are dropped.
 */
export class SessionTable<K = unknown, V = unknown> extends WindowView<K, V, SessionWindow, SessionState<K, V>> {
  constructor(
    table: Table<K, V>,
    window: SessionWindow,
    defaultValue: (() => V) | undefined,
    merge: (earlier: V, later: V) => V,
  )
  constructor(state: SessionState<K, V>, relativeTo: RelativeTo)
  constructor(a: unknown, b: unknown, c?: unknown, d?: unknown) {
    if (typeof b === 'string' || typeof b === 'function') {
      super(a as SessionState<K, V>, b as RelativeTo)
      return
    }
    const table = a as Table<K, V>
    const window = b as SessionWindow
    const merge = d as SessionState<K, V>['merge']
    if (typeof merge !== 'function') {
      throw new FaustusError('FST_APP_DEFINITION', `session table "${table.name}" needs merge(earlier, later)`)
    }
    const index = new Map<number, Map<string, WindowRange[]>>()
    const { expiry, closing } = windowTracking(table, window)
    const closed = new ClosedSessions(2 * window.gap + (window.grace ?? 0), (partition) => table.store(partition))
    closing.onRemoved((partition, key, range) => closed.closed(partition, keyId(table, key), range.end))
    super({ table, window, default: c as (() => V) | undefined, merge, expiry, closing, index, closed }, 'stream')
    table.windowHooks = {
      decodeKey: (key, origin) => decodeWindowKey(key, window, table.keyCodec, origin),
      accept: (partition, key) => expiry.isOpen(partition, decodeWindowKey(key, window, table.keyCodec)[1].start),
      replaces: (key, header, origin) => {
        const [userKey] = decodeWindowKey(key, window, table.keyCodec, origin)
        return decodeReplaced(header, window, origin).map((range) => encodeWindowKey(table.keyCodec, userKey, range))
      },
      closed: (partition, key) => {
        const [userKey, range] = decodeWindowKey(key, window, table.keyCodec)
        closed.closed(partition, keyId(table, userKey), range.end)
      },
      cleared: (partition) => closed.clear(partition),
      persist: () => closed.persist(),
      rebuild: (partitions) => {
        for (const partition of partitions) {
          index.delete(partition)
          expiry.rebuild(partition)
          closing.rebuild(partition)
        }
      },
    }
  }

  protected view(relativeTo: RelativeTo): this {
    return new SessionTable(this.state, relativeTo) as this
  }

  /**
   * Applies `fn` to the value of the key's session at the current time: the sessions within `gap` of it merged
   * (`merge`, earliest first), else the default. Returns the new value, or undefined when the session was closed.
   */
  update(key: K, fn: (value: V) => V, options?: WriteOptions): V | undefined {
    const { table, window, closing, expiry } = this.state
    const partition = table.rawPartition(key, options)
    const time = this.timestamp()
    closing.closeDueAfterRebuild(partition)
    closing.observe(partition, time)
    const sessions = this.#sessions(partition, key)
    const near = sessions.filter((s) => s.start - window.gap <= time && time <= s.end + window.gap)
    const merged = window.range(Math.min(time, ...near.map((s) => s.start)), Math.max(time, ...near.map((s) => s.end)))
    if (closing.isClosed(partition, merged) || this.state.closed.covers(partition, keyId(table, key), time)) {
      closing.dropped(partition, key, merged, time)
      return undefined
    }
    let value: V | undefined
    const replaced: WindowRange[] = []
    for (const session of near) {
      const stored = table.decodeV(table.rawGet(partition, encodeWindowKey(table.keyCodec, key, session))!)
      value = value === undefined ? stored : this.state.merge(value, stored)
      if (session.start !== merged.start || session.end !== merged.end) replaced.push(session)
    }
    const next = fn(value ?? (this.state.default?.() as V))
    const mergedKey = encodeWindowKey(table.keyCodec, key, merged)
    // The merged session first, naming the sessions it replaces, then their tombstones: a crash between these
    // records (at-least-once) must not leave a changelog with the old sessions deleted and the new one missing.
    const headers = replaced.length === 0 ? undefined : { [REPLACES_HEADER]: encodeReplaced(replaced) }
    table.rawPut(partition, mergedKey, table.encodeV(next), headers)
    for (const session of replaced) table.rawPut(partition, encodeWindowKey(table.keyCodec, key, session), null)
    const kept = sessions.filter((s) => !near.includes(s))
    kept.push(merged)
    kept.sort((x, y) => x.start - y.start)
    this.#keyIndex(partition).set(keyId(table, key), kept)
    expiry.touched(partition, merged, mergedKey)
    closing.track(partition, merged, mergedKey)
    closing.close(partition)
    const keys = this.#keyIndex(partition)
    this.state.closed.sweep(partition, closing.streamTime(partition), (id) => keys.has(id))
    return next
  }

  /** The key's sessions with their values, earliest first (from the partitions this worker holds). */
  get(key: K): [WindowRange, V][] {
    const { table } = this.state
    const out: [WindowRange, V][] = []
    for (const partition of table.activePartitions) {
      for (const range of this.#sessions(partition, key)) {
        out.push([range, table.decodeV(table.rawGet(partition, encodeWindowKey(table.keyCodec, key, range))!)])
      }
    }
    return out.sort(([x], [y]) => x.start - y.start)
  }

  /**
   * `[key, value]` of the sessions open at `at` (ms or Date; default the table's time): started by then and not
   * yet past their inactivity gap (`start <= at < end + gap`), i.e. the session an event at `at` would extend.
   */
  *items(at?: number | Date): IterableIterator<[K, V]> {
    const time = at === undefined ? this.timestamp() : toMs(at)
    const gap = this.state.window.gap
    for (const [key, range, value] of this.windows()) {
      if (range.start <= time && time < range.end + gap) yield [key, value]
    }
  }
  #keyIndex(partition: number): Map<string, WindowRange[]> {
    const { index, table, window } = this.state
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
    const { table } = this.state
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
