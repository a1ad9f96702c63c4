/**
 * One partition of an in-memory topic: append-only segments of fixed size, so retention drops whole segments and
 * offsets stay contiguous (offset -> segment is arithmetic). Readers get slices of the segment arrays: a record is
 * allocated once, at produce time, and shared by every reader (records are read-only).
 */
import type { ConsumedRecord } from '../types.ts'

export type Waker = () => void

/** Records per segment: big enough that a batch rarely spans two, small enough that retention is fine-grained. */
export const SEGMENT_SIZE = 16_384

export class PartitionLog {
  readonly #segments: ConsumedRecord[][] = [[]]
  #tail: ConsumedRecord[] = this.#segments[0]
  #earliest = 0
  #latest = 0
  /** Called when a segment fills up: the broker's chance to apply retention. */
  readonly #onRoll: ((log: PartitionLog) => void) | undefined
  /** Idle consumers waiting for the next append; null when none (the common, fast case). */
  #waiters: Set<Waker> | null = null
  /** Set while a producer batch has queued this log for one wake-up at the end of the batch. */
  wakePending = false
  /** First offset of each open transaction writing here; null when none (the common case). */
  #open: Map<object, number> | null = null
  /** Offsets written by aborted transactions: never shown to `read_committed` readers. */
  #aborted: Set<number> | null = null

  constructor(onRoll?: (log: PartitionLog) => void) {
    this.#onRoll = onRoll
  }

  /** First offset still in the log. */
  get earliest(): number {
    return this.#earliest
  }

  /** The offset the next record will get. */
  get latest(): number {
    return this.#latest
  }

  /**
   * The end a `read_committed` reader may read to (Kafka's last stable offset): the first offset of the oldest
   * open transaction, else `latest`.
   */
  get stableEnd(): number {
    if (this.#open === null) return this.#latest
    let end = this.#latest
    for (const first of this.#open.values()) if (first < end) end = first
    return end
  }

  get hasAborted(): boolean {
    return this.#aborted !== null
  }

  isAborted(offset: number): boolean {
    return this.#aborted?.has(offset) === true
  }

  /** Appends a record whose `offset` is `latest`, as part of `transaction` if given. */
  append(record: ConsumedRecord, transaction?: object): void {
    if (transaction !== undefined) {
      this.#open ??= new Map()
      if (!this.#open.has(transaction)) this.#open.set(transaction, this.#latest)
    }
    this.#tail.push(record)
    this.#latest++
    if (this.#tail.length === SEGMENT_SIZE) {
      this.#tail = []
      this.#segments.push(this.#tail)
      this.#onRoll?.(this)
    }
  }

  /** The record at an offset, if still in the log. */
  at(offset: number): ConsumedRecord | undefined {
    if (offset < this.#earliest || offset >= this.#latest) return undefined
    return this.#segments[this.#segmentOf(offset)][offset % SEGMENT_SIZE]
  }

  /**
   * Appends `count` records from `from` (both within the log) to `batch`, or returns them as a new array when
   * `batch` is null: one `slice` when they sit in one segment.
   */
  read(from: number, count: number, batch: ConsumedRecord[] | null): ConsumedRecord[] {
    let segment = this.#segmentOf(from)
    let index = from % SEGMENT_SIZE
    let left = count
    let out = batch
    while (left > 0) {
      const records = this.#segments[segment]
      const n = Math.min(left, records.length - index)
      if (out === null) out = records.slice(index, index + n)
      else for (let i = index; i < index + n; i++) out.push(records[i])
      left -= n
      segment++
      index = 0
    }
    return out ?? []
  }

  /**
   * Drops oldest segments (never the one being written) while `drop(end, lastTimestamp)` agrees, where `end` is
   * the offset after the segment; `earliest` moves to a segment boundary.
   */
  dropSegmentsWhile(drop: (end: number, lastTimestamp: number) => boolean): void {
    while (this.#segments.length > 1) {
      const oldest = this.#segments[0]
      if (!drop(this.#earliest + oldest.length, oldest[oldest.length - 1].timestamp)) return
      this.#segments.shift()
      this.#earliest += oldest.length
    }
  }

  /** A transaction ended: its records here (`offsets`) become visible, or are hidden for good if aborted. */
  endTransaction(transaction: object, committed: boolean, offsets: readonly number[]): void {
    if (!committed) {
      this.#aborted ??= new Set()
      for (const offset of offsets) this.#aborted.add(offset)
    }
    this.#open?.delete(transaction)
    if (this.#open?.size === 0) this.#open = null
    this.wake()
  }

  get hasWaiters(): boolean {
    return this.#waiters !== null
  }

  addWaiter(waker: Waker): void {
    ;(this.#waiters ??= new Set()).add(waker)
  }

  removeWaiter(waker: Waker): void {
    if (this.#waiters?.delete(waker) && this.#waiters.size === 0) this.#waiters = null
  }

  /** Wakes every waiting consumer once; they re-register when they go idle again. */
  wake(): void {
    const waiters = this.#waiters
    if (waiters === null) return
    this.#waiters = null
    for (const waker of waiters) waker()
  }

  #segmentOf(offset: number): number {
    return Math.floor(offset / SEGMENT_SIZE) - Math.floor(this.#earliest / SEGMENT_SIZE)
  }
}
