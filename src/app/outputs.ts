import type { RefusedHandler } from '../agents/context.ts'
import { FaustusError, isFaustusError } from '../errors.ts'
import type { Event } from '../streams/event.ts'
import { type ProduceRecord, type Producer, type RecordMetadata, recordBytes } from '../transport/types.ts'

/** Most records produced and not yet acknowledged before senders wait (bounds memory, gives backpressure). */
const WINDOW = 20_000
/** Default byte bound of the window (the app passes `producerMaxBufferedBytes`). */
const WINDOW_BYTES = 1024 * 1024
/**
 * Outputs sent without waiting for their acknowledgement (sinks, repartitioning, replies). Senders wait only when
 * the window is full; the first failure is kept and rethrown by `settled()`, which the checkpoint calls before
 * committing, so offsets never pass an event whose output was lost.
 */
export class OutputWindow {
  #pending = 0
  #pendingBytes = 0
  /** Counted by `reserve` and not yet handed to the producer. */
  #reserved = 0
  #reservedBytes = 0
  readonly #maxBytes: number
  #failure: unknown
  #waiters: (() => void)[] = []
  readonly #onFailure: (error: unknown) => void

  /** `onFailure` hears of the first failed send: the app must stop, as nothing may be committed any more. */
  constructor(onFailure: (error: unknown) => void, maxBytes = WINDOW_BYTES) {
    this.#onFailure = onFailure
    this.#maxBytes = maxBytes
  }

  /** Records sent and not yet acknowledged (for metrics). */
  get pending(): number {
    return this.#pending
  }

  /** One unacknowledged send of `records` records (of `bytes`); a promise only when the window is full. */
  add(sent: Promise<RecordMetadata[]>, records: number, bytes = 0): Promise<void> | undefined {
    this.track(sent, records, bytes)
    return this.#room()
  }

  /** Counts a record (of `bytes`) that will be sent shortly (batched); a promise only when the window is full. */
  reserve(bytes = 0): Promise<void> | undefined {
    this.#reserved++
    this.#reservedBytes += bytes
    return this.#room()
  }

  /** Follows a send of `records` records of `bytes`, reserved or not. */
  track(sent: Promise<unknown>, records: number, bytes = 0): void {
    this.#reserved -= Math.min(this.#reserved, records)
    this.#reservedBytes -= Math.min(this.#reservedBytes, bytes)
    this.#pending += records
    this.#pendingBytes += bytes
    sent.then(
      () => this.#settle(records, bytes),
      (error) => {
        this.fail(error)
        this.#settle(records, bytes)
      },
    )
  }

  /** Records a failure of an output (the first one is kept and reported). */
  fail(error: unknown): void {
    if (this.#failure !== undefined) return
    this.#failure = error
    this.#onFailure(error)
  }

  #room(): Promise<void> | undefined {
    if (this.#pending + this.#reserved < WINDOW && this.#pendingBytes + this.#reservedBytes < this.#maxBytes) {
      return undefined
    }
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /** Forgets a failure once the app stopped (the next run starts from the last commit). */
  reset(): void {
    this.#failure = undefined
  }

  #settle(records: number, bytes: number): void {
    this.#pending -= records
    this.#pendingBytes -= bytes
    const halfEmpty = this.#pending < WINDOW / 2 && this.#pendingBytes < this.#maxBytes / 2
    if (this.#waiters.length > 0 && (halfEmpty || this.#pending === 0)) {
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

/** A refusal the broker will repeat for this record whatever we do: too large, topic missing, not authorized. */
export function isRefusal(error: unknown): boolean {
  return isFaustusError(error) && (error.code === 'FST_OUTPUT_REFUSED' || error.code === 'FST_TOPIC_UNKNOWN')
}

/**
 * The app's outputs on their way to the producer: records sent in one turn of the event loop (a consumed batch
 * running through the agents) go to the producer as one send, one promise and one array per batch instead of per
 * record. `flush()` is the at-least-once step 2 of the checkpoint.
 *
 * Each record remembers the input event it came from and its agent's error policy (two array slots per record, no
 * object: filled by the agent emitting it).
 * When the broker refuses a send (`isRefusal`), its records are sent again one by one, in order, and each refused
 * one goes through its agent's error policy like a processing error: `ack` logs it and goes on, `deadLetter` copies
 * the input record, `crash` stops the app (nothing committed past it). A refused record without an origin, or any
 * other failure, stops the app.
 */
export class Outputs {
  readonly #window: OutputWindow
  #producer: Producer | undefined
  #batch: ProduceRecord[] | null = null
  #batchBytes = 0
  #events: (Event | undefined)[] = []
  #refusers: (RefusedHandler | undefined)[] = []

  /**
   * `onFailure` hears of the first failed output: nothing may be committed any more, the app must stop.
   * `maxBytes` bounds the bytes of outputs not yet acknowledged (`producerMaxBufferedBytes`).
   */
  constructor(onFailure: (error: unknown) => void, maxBytes = WINDOW_BYTES) {
    this.#window = new OutputWindow(onFailure, maxBytes)
  }

  /** Outputs not yet acknowledged by the broker, and those not yet handed to the producer (for metrics). */
  get inFlight(): { inFlight: number; buffered: number } {
    return { inFlight: this.#window.pending, buffered: this.#batch?.length ?? 0 }
  }

  /** The producer outputs go to (undefined while the app is stopped). */
  attach(producer: Producer | undefined): void {
    this.#producer = producer
  }

  /**
   * Produces without waiting for the broker's acknowledgement (as Faust's sinks do): undefined at once while fewer
   * than the window's records are unacknowledged, else a promise that resolves when there is room. Failures
   * surface at the next checkpoint.
   */
  send(record: ProduceRecord, event?: Event, refused?: RefusedHandler): Promise<void> | undefined {
    if (this.#batch === null) {
      this.#batch = []
      this.#batchBytes = 0
      this.#events = []
      this.#refusers = []
      setImmediate(this.#sendBatchSoon)
    }
    const bytes = recordBytes(record)
    this.#batch.push(record)
    this.#batchBytes += bytes
    this.#events.push(event)
    this.#refusers.push(refused)
    return this.#window.reserve(bytes)
  }

  readonly #sendBatchSoon = () => this.#sendBatch()

  #sendBatch(): void {
    const batch = this.#batch
    const events = this.#events
    const refusers = this.#refusers
    const bytes = this.#batchBytes
    this.#batch = null
    this.#batchBytes = 0
    if (batch === null || batch.length === 0) return
    const producer = this.#producer
    const sent = producer
      ? this.#deliver(producer, batch, events, refusers)
      : Promise.reject(new Error('the producer closed before sending'))
    this.#window.track(sent, batch.length, bytes)
  }

  async #deliver(
    producer: Producer,
    batch: ProduceRecord[],
    events: (Event | undefined)[],
    refusers: (RefusedHandler | undefined)[],
  ): Promise<void> {
    try {
      await producer.send(batch)
      return
    } catch (error) {
      if (!isRefusal(error)) throw error
    }
    for (let i = 0; i < batch.length; i++) {
      try {
        await producer.send([batch[i]])
      } catch (error) {
        const event = events[i]
        const refused = refusers[i]
        if (!isRefusal(error) || event === undefined || refused === undefined) throw error
        const { topic, partition, offset } = event.message ?? {}
        await refused(
          new FaustusError(
            'FST_OUTPUT_REFUSED',
            `output to topic "${batch[i].topic}" refused (${(error as Error).message}); ` +
              `input record ${topic}[${partition}]@${offset}`,
            { cause: error, details: { output: batch[i].topic, topic, partition, offset } },
          ),
          event,
        )
      }
    }
  }

  /** Every output so far handed to the producer and acknowledged; throws if any failed. */
  async flush(): Promise<void> {
    this.#sendBatch()
    await this.#producer?.flush()
    await this.#window.settled()
  }

  /** Hands what is batched to the producer without waiting (before the producer closes). */
  sendNow(): void {
    this.#sendBatch()
  }

  /** Forgets a failure once the app stopped (the next run starts from the last commit). */
  reset(): void {
    this.#window.reset()
  }

  /** Drops what is batched and not sent, and any failure (an aborted transaction: processed again later). */
  discard(): void {
    const dropped = this.#batch?.length ?? 0
    const bytes = this.#batchBytes
    this.#batch = null
    this.#batchBytes = 0
    this.#events = []
    this.#refusers = []
    if (dropped > 0) this.#window.track(Promise.resolve(), dropped, bytes)
    this.#window.reset()
  }
}
