import { FaustusError } from '../errors.ts'
import type { RecordMetadata } from '../transport/types.ts'

/** Most records produced and not yet acknowledged before senders wait (bounds memory, gives backpressure). */
const WINDOW = 20_000

/**
 * Outputs sent without waiting for their acknowledgement (sinks, repartitioning, replies). Senders wait only when
 * the window is full; the first failure is kept and rethrown by `settled()`, which the checkpoint calls before
 * committing, so offsets never pass an event whose output was lost.
 */
export class OutputWindow {
  #pending = 0
  /** Counted by `reserve` and not yet handed to the producer. */
  #reserved = 0
  #failure: unknown
  #waiters: (() => void)[] = []
  readonly #onFailure: (error: unknown) => void

  /** `onFailure` hears of the first failed send: the app must stop, as nothing may be committed any more. */
  constructor(onFailure: (error: unknown) => void) {
    this.#onFailure = onFailure
  }

  /** Records sent and not yet acknowledged (for metrics). */
  get pending(): number {
    return this.#pending
  }

  /** One unacknowledged send of one record; a promise only when the window is full. */
  add(sent: Promise<RecordMetadata[]>, records: number): Promise<void> | undefined {
    this.track(sent, records)
    return this.#room()
  }

  /** Counts a record that will be sent shortly (batched); a promise only when the window is full. */
  reserve(): Promise<void> | undefined {
    this.#reserved++
    return this.#room()
  }

  /** Follows a send of `records` records, reserved or not. */
  track(sent: Promise<RecordMetadata[]>, records: number): void {
    const reserved = Math.min(this.#reserved, records)
    this.#reserved -= reserved
    this.#pending += records
    sent.then(
      () => this.#settle(records),
      (error) => {
        if (this.#failure === undefined) {
          this.#failure = error
          this.#onFailure(error)
        }
        this.#settle(records)
      },
    )
  }

  #room(): Promise<void> | undefined {
    if (this.#pending + this.#reserved < WINDOW) return undefined
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Forgets a failure once the app stopped (the next run starts from the last commit). */
  reset(): void {
    this.#failure = undefined
  }

  #settle(records: number): void {
    this.#pending -= records
    if (this.#waiters.length > 0 && (this.#pending < WINDOW / 2 || this.#pending === 0)) {
      for (const wake of this.#waiters.splice(0)) wake()
    }
  }

  /** Resolves once nothing is pending; throws, from then on, if any send failed (until the app restarts). */
  async settled(): Promise<void> {
    while (this.#pending > 0) await new Promise<void>((resolve) => this.#waiters.push(resolve))
    const failure = this.#failure
    if (failure !== undefined) {
      throw new FaustusError('FST_TRANSPORT', 'an output could not be produced; offsets were not committed', {
        cause: failure,
      })
    }
  }
}
