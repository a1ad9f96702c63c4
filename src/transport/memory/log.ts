/**
 * One partition of an in-memory topic: an append-only array whose index is the offset. Consumers read slices of it
 * directly, so a record is allocated once, at produce time, and shared by every reader (records are read-only).
 */
import type { ConsumedRecord } from '../types.ts'

export type Waker = () => void

export class PartitionLog {
  readonly records: ConsumedRecord[] = []
  /** Idle consumers waiting for the next append; null when none (the common, fast case). */
  #waiters: Set<Waker> | null = null
  /** Set while a producer batch has queued this log for one wake-up at the end of the batch. */
  wakePending = false

  /** First offset still in the log (the memory log never truncates). */
  get earliest(): number {
    return 0
  }

  /** The offset the next record will get. */
  get latest(): number {
    return this.records.length
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
}
