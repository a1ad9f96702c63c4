import type { ProduceRecord } from '../transport/types.ts'
import type { ChangelogWriter } from './changelog.ts'

/**
 * At-least-once: the changelog tombstone of a closed window waits for the checkpoint's flush of the outputs, where
 * its final result was acknowledged. Written at once, it could reach the changelog while the final result did not
 * reach its topic (a crash in between): recovery would restore the window as closed and deleted, and the replayed
 * events, late by the restored stream time, could never produce the result again. Deferred, a crash leaves the
 * window in the changelog, and the restarted worker closes it again (a duplicate result, as at-least-once allows).
 * Under exactly-once (`defer` false) both are in one transaction.
 */
export class ClosedWindowTombstones {
  defer = false
  #waiting: ProduceRecord[] = []
  /** How many of the waiting tombstones the running checkpoint covers (their final results were sent before it). */
  #sealed = 0

  write(record: ProduceRecord, writer: ChangelogWriter): void {
    if (this.defer) this.#waiting.push(record)
    else writer.append(record)
  }

  /**
   * Checkpoint step 1: the tombstones waiting now are those whose final results were handed over already, so the
   * outputs' flush covers them. A window closed later in the checkpoint (events go on meanwhile under at-least-once)
   * may have its result sent after the flush settled: its tombstone waits for the next checkpoint.
   */
  seal(): void {
    this.#sealed = this.#waiting.length
  }

  /** Checkpoint step 3: the outputs are acknowledged, the sealed windows' final results included; their tombstones go. */
  release(writer: ChangelogWriter): void {
    for (const record of this.#waiting.splice(0, this.#sealed)) writer.append(record)
    this.#sealed = 0
  }

  /** A transaction was aborted: its tombstones go with it. */
  discard(): void {
    this.#waiting = []
    this.#sealed = 0
  }
}
