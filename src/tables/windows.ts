/**
 * Window kinds, as Faust's `faust/windows.py` computes them, in milliseconds. A range is `[start, end)` in ms plus
 * the key Faust writes for it: `[start, end]` in seconds, floats, with `end = start + size - 0.1` for hopping and
 * tumbling windows (sliding windows write `[ts - before, ts + after]`).
 */
import { FaustusError } from '../errors.ts'

export interface WindowRange {
  /** Start, ms (inclusive). */
  readonly start: number
  /** End, ms (exclusive). */
  readonly end: number
  /** The wire form: seconds. */
  readonly key: readonly [number, number]
}

export interface Window {
  readonly kind: 'tumbling' | 'hopping' | 'sliding' | 'session'
  /** Ms after which a window is dropped (and closed); undefined keeps windows forever. */
  readonly expires: number | undefined
  /**
   * Ms a window stays open for late events after its end (Kafka Streams' grace period): once the partition's stream
   * time reaches `closesAt(range)`, the window is closed, its final result emitted, and later events for it dropped.
   * Undefined: no close by stream time (Faust: windows take late events until they expire).
   */
  readonly grace: number | undefined
  /** Stream time at which a window closes: `end + grace` (sessions: `end + gap + grace`). */
  closesAt(range: WindowRange): number
  /** The earliest time of an event that wrote `range` (a lower bound of stream time, rebuilt after a restart). */
  eventTimeOf(range: WindowRange): number
  /** Every window containing `ts`, earliest first. */
  ranges(ts: number): WindowRange[]
  /** The latest window containing `ts`. */
  current(ts: number): WindowRange
  /** The earliest window containing `ts`. */
  earliest(ts: number): WindowRange
  /** The window current at `ts - d`. */
  delta(ts: number, d: number): WindowRange
  /** The range of a key read back (seconds on the wire). */
  fromKey(key: readonly [number, number]): WindowRange
  /** Whether a window ending at `end` is expired once the partition has seen windows ending at `latestEnd`. */
  stale(end: number, latestEnd: number): boolean
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new FaustusError('FST_APP_DEFINITION', `window ${name} must be a positive number of ms (got ${value})`)
  }
  return value
}

function nonNegative(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new FaustusError('FST_APP_DEFINITION', `window ${name} must be a number of ms >= 0 (got ${value})`)
  }
  return value
}

export class HoppingWindow implements Window {
  readonly kind: 'tumbling' | 'hopping' = 'hopping'
  readonly size: number
  readonly step: number
  readonly expires: number | undefined
  readonly grace: number | undefined

  constructor(size: number, step: number, expires?: number, grace?: number) {
    this.size = positive('size', size)
    this.step = positive('step', step)
    this.expires = expires === undefined ? undefined : positive('expires', expires)
    this.grace = nonNegative('grace', grace)
  }

  closesAt(range: WindowRange): number {
    return range.end + (this.grace ?? 0)
  }

  eventTimeOf(range: WindowRange): number {
    return range.start
  }

  #range(start: number): WindowRange {
    const startSec = start / 1000
    return { start, end: start + this.size, key: [startSec, startSec + this.size / 1000 - 0.1] }
  }

  /** Faust's `_start_initial_range`: the earliest window start whose window still contains `ts`. */
  #initial(ts: number): number {
    return Math.floor(ts / this.step) * this.step - this.size + this.step
  }

  ranges(ts: number): WindowRange[] {
    const out: WindowRange[] = []
    for (let start = this.#initial(ts); start <= ts; start += this.step) out.push(this.#range(start))
    return out
  }

  current(ts: number): WindowRange {
    const initial = this.#initial(ts)
    return this.#range(initial + this.step * Math.floor((ts - initial) / this.step))
  }

  earliest(ts: number): WindowRange {
    return this.#range(this.#initial(ts))
  }

  delta(ts: number, d: number): WindowRange {
    return this.current(ts - d)
  }

  fromKey(key: readonly [number, number]): WindowRange {
    return this.#range(Math.round(key[0] * 1000))
  }

  stale(end: number, latestEnd: number): boolean {
    return this.expires !== undefined && end <= this.current(latestEnd - this.expires).start
  }
}

export class TumblingWindow extends HoppingWindow {
  override readonly kind = 'tumbling'
  constructor(size: number, expires?: number, grace?: number) {
    super(size, size, expires, grace)
  }
}

export class SlidingWindow implements Window {
  readonly kind = 'sliding'
  readonly before: number
  readonly after: number
  readonly expires: number | undefined
  readonly grace: number | undefined

  constructor(before: number, after: number, expires?: number, grace?: number) {
    if (!(before >= 0 && after >= 0)) throw new FaustusError('FST_APP_DEFINITION', 'sliding window bounds must be >= 0')
    this.before = before
    this.after = after
    this.expires = expires === undefined ? undefined : positive('expires', expires)
    this.grace = nonNegative('grace', grace)
  }

  closesAt(range: WindowRange): number {
    return range.end + (this.grace ?? 0)
  }

  eventTimeOf(range: WindowRange): number {
    return range.start + this.before
  }

  current(ts: number): WindowRange {
    const sec = ts / 1000
    return { start: ts - this.before, end: ts + this.after, key: [sec - this.before / 1000, sec + this.after / 1000] }
  }

  ranges(ts: number): WindowRange[] {
    return [this.current(ts)]
  }

  earliest(ts: number): WindowRange {
    return this.current(ts)
  }

  delta(ts: number, d: number): WindowRange {
    return this.current(ts - d)
  }

  fromKey(key: readonly [number, number]): WindowRange {
    return { start: Math.round(key[0] * 1000), end: Math.round(key[1] * 1000), key }
  }

  stale(end: number, latestEnd: number): boolean {
    return this.expires !== undefined && end <= latestEnd - this.expires
  }
}

/**
 * Session windows (Kafka Streams' SessionWindows): the events of a key closer than `gap` ms to each other form one
 * session `[first, last]` (both inclusive, as Kafka Streams); an event bridging two sessions merges them. The wire
 * key is `[start, end]` in seconds. Sessions are found per key by the session table, not by time alone, so the
 * time-only methods give the one-event session `[ts, ts]`.
 */
export class SessionWindow implements Window {
  readonly kind = 'session'
  readonly gap: number
  readonly expires: number | undefined
  readonly grace: number | undefined

  constructor(gap: number, options: { grace?: number; expires?: number } = {}) {
    this.gap = positive('gap', gap)
    this.grace = nonNegative('grace', options.grace)
    this.expires = options.expires === undefined ? undefined : positive('expires', options.expires)
  }

  /** The session `[start, end]` (ms, both inclusive). */
  range(start: number, end: number): WindowRange {
    return { start, end, key: [start / 1000, end / 1000] }
  }

  closesAt(range: WindowRange): number {
    return range.end + this.gap + (this.grace ?? 0)
  }

  eventTimeOf(range: WindowRange): number {
    return range.end
  }

  ranges(ts: number): WindowRange[] {
    return [this.range(ts, ts)]
  }

  current(ts: number): WindowRange {
    return this.range(ts, ts)
  }

  earliest(ts: number): WindowRange {
    return this.range(ts, ts)
  }

  delta(ts: number, d: number): WindowRange {
    return this.range(ts - d, ts - d)
  }

  fromKey(key: readonly [number, number]): WindowRange {
    return this.range(Math.round(key[0] * 1000), Math.round(key[1] * 1000))
  }

  stale(end: number, latestEnd: number): boolean {
    return this.expires !== undefined && end + this.gap <= latestEnd - this.expires
  }
}
