/**
 * A consumer's read positions over partition logs, and the batch gathering of the hot path: a batch from one
 * partition is a single `slice` of its log; records are never copied or re-wrapped.
 */
import { TransportError } from '../../errors.ts'
import type { ConsumedRecord, TopicPartition } from '../types.ts'
import { tpKey } from '../types.ts'
import type { PartitionLog, Waker } from './log.ts'

interface Position {
  readonly topic: string
  readonly partition: number
  readonly log: PartitionLog
  offset: number
  paused: boolean
}

export interface StartPosition extends TopicPartition {
  log: PartitionLog
  offset: number
}

export class Fetcher {
  /** Read only what committed transactions wrote (and what was written outside transactions). */
  readonly #readCommitted: boolean
  #positions: Position[] = []
  /** Positions moved by the last `collect` (when `trackMoves`). */
  readonly moved: Position[] = []
  readonly #trackMoves: boolean

  constructor(options: { readCommitted?: boolean; trackMoves?: boolean } = {}) {
    this.#readCommitted = options.readCommitted ?? true
    this.#trackMoves = options.trackMoves ?? false
  }

  #byKey = new Map<string, Position>()
  /** Partition the next batch starts from, rotating so no partition starves the others. */
  #next = 0
  #watched: PartitionLog[] = []

  /** Replaces every position (a new assignment: nothing paused). */
  set(starts: readonly StartPosition[]): void {
    this.#positions = starts.map((s) => ({
      topic: s.topic,
      partition: s.partition,
      log: s.log,
      offset: clamp(s.offset, s.log),
      paused: false,
    }))
    this.#byKey = new Map(this.#positions.map((p) => [tpKey(p), p]))
    this.#next = 0
  }

  clear(): void {
    this.set([])
  }

  has(tp: TopicPartition): boolean {
    return this.#byKey.has(tpKey(tp))
  }

  pause(partitions: readonly TopicPartition[], paused: boolean): void {
    for (const tp of partitions) {
      const position = this.#byKey.get(tpKey(tp))
      if (position) position.paused = paused
    }
  }

  /** Moves a read position; offsets outside the log are clamped to its bounds. */
  seek(tp: TopicPartition, offset: number): void {
    const position = this.#byKey.get(tpKey(tp))
    if (!position) {
      throw new TransportError('FST_TRANSPORT', `cannot seek ${tp.topic}/${tp.partition}: partition not assigned`, {
        details: { topic: tp.topic, partition: tp.partition, offset },
      })
    }
    position.offset = clamp(offset, position.log)
  }

  /**
   * Up to `max` records from unpaused partitions, in offset order per partition; null when no position moved. An
   * empty batch means positions moved over records a `read_committed` reader never sees (aborted ones).
   */
  collect(max: number): ConsumedRecord[] | null {
    const positions = this.#positions
    const n = positions.length
    let batch: ConsumedRecord[] | null = null
    let room = max
    const start = this.#next
    const readCommitted = this.#readCommitted
    if (this.#trackMoves) this.moved.length = 0
    for (let i = 0; i < n && room > 0; i++) {
      const position = positions[(start + i) % n]
      if (position.paused) continue
      const log = position.log
      // A position below `earliest` was overtaken by retention: go on from the oldest record left.
      const from = Math.max(position.offset, log.earliest)
      const available = (readCommitted ? log.stableEnd : log.latest) - from
      if (available <= 0) continue
      const take = Math.min(available, room)
      if (readCommitted && log.hasAborted) {
        batch ??= []
        for (const record of log.read(from, take, null)) if (!log.isAborted(record.offset)) batch.push(record)
      } else {
        batch = log.read(from, take, batch)
      }
      position.offset = from + take
      room -= take
      if (this.#trackMoves) this.moved.push(position)
    }
    if (n > 0) this.#next = (start + 1) % n
    return batch
  }

  /** Asks every unpaused partition's log to call `waker` at its next append. */
  watch(waker: Waker): void {
    for (const position of this.#positions) {
      if (position.paused) continue
      position.log.addWaiter(waker)
      this.#watched.push(position.log)
    }
  }

  /** Undoes `watch` (on the logs watched then, even if the positions changed since). */
  unwatch(waker: Waker): void {
    for (const log of this.#watched) log.removeWaiter(waker)
    this.#watched = []
  }
}

function clamp(offset: number, log: PartitionLog): number {
  return Math.min(Math.max(offset, log.earliest), log.latest)
}
