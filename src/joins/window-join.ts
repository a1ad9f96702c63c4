import type { Event } from '../streams/event.ts'
import type { Derived } from '../streams/fan-out.ts'
import type { Table } from '../tables/table.ts'
import {
  bufferKey,
  bufferRange,
  LEFT,
  outerKey,
  parseBufferKey,
  parseOuterKey,
  RIGHT,
  recordId,
  type Side,
} from './keys.ts'

export type StreamJoinKind = 'inner' | 'left' | 'outer'

/** A join window as Kafka Streams' JoinWindows: a right record joins a left one at time t from t-before to t+after. */
export interface JoinWindowSpec {
  before: number
  after: number
  /** How long after a window's end out-of-order records are still taken; later ones are dropped. */
  grace: number
}

/** How a join reads keys and values of both sides and turns them into bytes for its stores. */
export interface JoinCodecs {
  keyOf(side: Side, event: Event<any, any>): unknown
  encodeKey(key: unknown): Buffer
  decodeKey(bytes: Buffer): unknown
  encodeValue(side: Side, value: unknown): Buffer
  decodeValue(side: Side, bytes: Buffer): unknown
}

export interface JoinStores {
  left: Table<Buffer, Buffer>
  right: Table<Buffer, Buffer>
  /** Records without a match yet, waiting for their window to close (left and outer joins). */
  outer: Table<Buffer, Buffer> | undefined
}

export type Joiner = (left: unknown, right: unknown, key: unknown) => unknown

export interface JoinStats {
  joined: number
  /** Left/outer results of records that found no match before their window closed. */
  unmatched: number
  /** Records dropped for their null key or value. */
  dropped: number
  /** Late records not kept for later matches: older than their side keeps records (before + after + grace). */
  expired: number
}

interface PartitionClock {
  /** The largest timestamp seen in this partition, on either side (Kafka Streams' shared stream time). */
  streamTime: number
  /**
   * The largest timestamp of each side's records (LEFT, RIGHT): a side's buffer keeps its records for
   * before + after + grace of its own time, as Kafka Streams' join window stores (their observed stream time).
   */
  sideTime: [number, number]
  /** Kafka Streams' `minTime`: the outer table is scanned only once stream time passed this record's window. */
  minOuterTime: number
  lastSweep: number
}

/**
 * The windowed stream–stream join of one app (Kafka Streams' KStreamKStreamJoin with the spurious-result fix of
 * Kafka 3.x): each record is kept, in its side's changelogged table, as long as a record of the other side may still
 * join it; it joins the other side's records of the same key within the window; with a left or outer join a record
 * that found no match waits in the outer table, and its `(value, null)` result is emitted only once its window has
 * closed (stream time past its window's end plus the grace period), so no result is emitted that a later match
 * would contradict. Everything is keyed by partition: the two sides must be co-partitioned.
 */
export class WindowJoin {
  readonly kind: StreamJoinKind
  readonly window: JoinWindowSpec
  readonly stats: JoinStats = { joined: 0, unmatched: 0, dropped: 0, expired: 0 }
  readonly #stores: JoinStores
  readonly #codecs: JoinCodecs
  readonly #joiner: Joiner
  readonly #clocks = new Map<number, PartitionClock>()
  #counter = 0

  constructor(kind: StreamJoinKind, window: JoinWindowSpec, stores: JoinStores, codecs: JoinCodecs, joiner: Joiner) {
    this.kind = kind
    this.window = window
    this.#stores = stores
    this.#codecs = codecs
    this.#joiner = joiner
  }

  /** Forgets what it knew of partitions (after a rebalance, or a rollback): stream time restarts from the records. */
  reset(): void {
    this.#clocks.clear()
  }

  /** How long after its time a record of `side` may still be matched. */
  #lookAhead(side: Side): number {
    return side === LEFT ? this.window.after : this.window.before
  }

  #keepsUnmatched(side: Side): boolean {
    return this.kind === 'outer' || (this.kind === 'left' && side === LEFT)
  }

  #clock(partition: number): PartitionClock {
    let clock = this.#clocks.get(partition)
    if (clock === undefined) {
      clock = {
        streamTime: -1,
        sideTime: [-1, -1],
        minOuterTime: Number.NEGATIVE_INFINITY,
        lastSweep: Number.NEGATIVE_INFINITY,
      }
      this.#clocks.set(partition, clock)
    }
    return clock
  }

  #result(key: unknown, left: unknown, right: unknown, timestamp: number): Derived<unknown, unknown> {
    return { key, value: this.#joiner(left, right, key), timestamp }
  }

  /** Processes one record of `side`: its results (joined, and left/outer ones whose window closed meanwhile). */
  process(side: Side, event: Event<any, any>): Derived<unknown, unknown>[] {
    const partition = event.partition ?? 0
    const time = event.timestamp
    const clock = this.#clock(partition)
    // As Kafka Streams, every record moves stream time, even one dropped next for its null key or value.
    if (time > clock.streamTime) clock.streamTime = time
    const key = this.#codecs.keyOf(side, event)
    if (key === null || key === undefined || event.value === null || event.value === undefined) {
      // Nothing to join on, and null already means "no match" in a left/outer result.
      this.stats.dropped++
      return []
    }
    const streamTime = clock.streamTime
    const lookAhead = this.#lookAhead(side)
    const { before, after, grace } = this.window
    const retention = before + after + grace
    const results: Derived<unknown, unknown>[] = []
    if (time === streamTime) this.#emitClosed(partition, clock, side, results)
    const keyBytes = this.#codecs.encodeKey(key)
    const id = recordId(event.topic, event.offset, this.#counter++)
    const own = side === LEFT ? this.#stores.left : this.#stores.right
    const other = side === LEFT ? this.#stores.right : this.#stores.left
    const otherSide: Side = side === LEFT ? RIGHT : LEFT
    const outer = this.#stores.outer
    // A late record (even after the grace period) still joins what the other side keeps: the other side's records
    // within `retention` of that side's latest time (Kafka Streams' window store retention).
    const from = Math.max(0, time - (side === LEFT ? before : after), clock.sideTime[otherSide] - retention + 1)
    const to = Math.max(0, time + lookAhead)
    let matched = false
    if (from <= to) {
      const [start, end] = bufferRange(keyBytes, from, to)
      for (const [storedKey, storedValue] of other.store(partition).range(start, end)) {
        const { time: otherTime, id: otherId } = parseBufferKey(storedKey)
        matched = true
        if (outer !== undefined) {
          // The other record has a match now: it no longer waits for a left/outer result.
          const waiting = outerKey(otherTime, otherSide, keyBytes, otherId)
          if (outer.store(partition).get(waiting) !== undefined) outer.rawPut(partition, waiting, null)
        }
        const otherValue = this.#codecs.decodeValue(otherSide, storedValue)
        const [left, right] = side === LEFT ? [event.value, otherValue] : [otherValue, event.value]
        results.push(this.#result(key, left, right, Math.max(time, otherTime)))
        this.stats.joined++
      }
    }
    if (time > clock.sideTime[side]) clock.sideTime[side] = time
    const valueBytes = this.#codecs.encodeValue(side, event.value)
    if (time > clock.sideTime[side] - retention) own.rawPut(partition, bufferKey(keyBytes, time, id), valueBytes)
    else this.stats.expired++ // older than its side keeps: no later record can find it
    if (!matched && outer !== undefined && this.#keepsUnmatched(side)) {
      if (to < streamTime) {
        // Out of order, its window is over already: as Kafka Streams, the result goes out now rather than waiting.
        results.push(this.#unmatched(side, key, event.value, time))
      } else {
        outer.rawPut(partition, outerKey(time, side, keyBytes, id), valueBytes)
        if (time < clock.minOuterTime) clock.minOuterTime = time
      }
    }
    this.#sweep(partition, clock)
    return results
  }

  #unmatched(side: Side, key: unknown, value: unknown, time: number): Derived<unknown, unknown> {
    this.stats.unmatched++
    return side === LEFT ? this.#result(key, value, null, time) : this.#result(key, null, value, time)
  }

  /**
   * Emits (and forgets) the waiting records whose window has closed, oldest first, following Kafka Streams' scan
   * exactly (KStreamKStreamJoin#emitNonJoinedOuterRecords), since when it scans decides which late matches still
   * prevent a null result: no scan while `minOuterTime` + the processing side's look-ahead + grace has not passed;
   * a scan stops at the first entry after both sides had a still-open one, and leaves `minOuterTime` at that
   * entry's time (the last entry's when it went through: then nothing is scanned again until stream time passes
   * that record's window too).
   */
  #emitClosed(partition: number, clock: PartitionClock, side: Side, results: Derived<unknown, unknown>[]): void {
    const outer = this.#stores.outer
    if (outer === undefined) return
    const { grace } = this.window
    if (clock.minOuterTime + this.#lookAhead(side) + grace >= clock.streamTime) return
    let minTime = Number.POSITIVE_INFINITY
    const open = [false, false]
    const closed: [Buffer, Buffer][] = []
    for (const [storedKey, storedValue] of outer.store(partition).range()) {
      const { time, side: waiting } = parseOuterKey(storedKey)
      minTime = time
      if (open[LEFT] && open[RIGHT]) break
      if (time + this.#lookAhead(waiting) + grace >= clock.streamTime) {
        open[waiting] = true
        continue
      }
      closed.push([storedKey, storedValue])
    }
    clock.minOuterTime = minTime
    for (const [storedKey, storedValue] of closed) {
      const { time, side: waiting, key } = parseOuterKey(storedKey)
      const value = this.#codecs.decodeValue(waiting, storedValue)
      results.push(this.#unmatched(waiting, this.#codecs.decodeKey(key), value, time))
      outer.rawPut(partition, storedKey, null)
    }
  }

  /**
   * Drops buffered records no record can join any more (a side's records older than that side's latest time minus
   * before + after + grace, which lookups skip), once per such span of stream time: the tables' changelogs get their
   * tombstones, so recovery stays small.
   */
  #sweep(partition: number, clock: PartitionClock): void {
    const { before, after, grace } = this.window
    const retention = before + after + grace
    if (clock.streamTime - clock.lastSweep < Math.max(retention, 1)) return
    clock.lastSweep = clock.streamTime
    for (const side of [LEFT, RIGHT] as const) {
      const table = side === LEFT ? this.#stores.left : this.#stores.right
      const horizon = clock.sideTime[side] - retention
      const expired: Buffer[] = []
      for (const [storedKey] of table.store(partition).entries()) {
        if (parseBufferKey(storedKey).time <= horizon) expired.push(storedKey)
      }
      for (const storedKey of expired) table.rawPut(partition, storedKey, null)
    }
  }
}
