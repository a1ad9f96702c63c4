import type { ProduceRecord, Producer, RecordMetadata } from '../transport/types.ts'
import { ChangelogCache, type ChangeOwner } from './changelog-cache.ts'

const BATCH = 1000

export interface ChangelogWriterHost {
  /** Records were acknowledged (their offsets now back the stores). */
  onWritten(metadata: readonly RecordMetadata[]): void
  /** A send failed: the changelog no longer backs the tables, the app must stop. */
  onError(error: unknown): void
}

/**
 * Batches changelog records into the app's producer: a table write is synchronous (as Faust's `table[k] = v`), so
 * records are queued and sent once per event-loop turn or every 1000 records. Records of compacted changelogs may
 * instead wait in the cache (`coalesce`) until the checkpoint, or until it holds `cacheMaxBytes`: one record per key
 * changed. `flush()` is step 1 of the checkpoint: after it the producer holds (and after its own flush, the broker
 * has) every change made so far.
 */
export class ChangelogWriter {
  readonly #host: ChangelogWriterHost
  #producer: Producer | undefined
  #buffer: ProduceRecord[] = []
  readonly #cache = new ChangelogCache()
  /** 0: every change is sent at once (no coalescing). */
  cacheMaxBytes = 0
  readonly #inFlight = new Set<Promise<void>>()
  #scheduled = false
  /** The first failed send: the changelog has a hole, so no checkpoint may succeed any more (until restart). */
  #failure: unknown

  constructor(host: ChangelogWriterHost) {
    this.#host = host
  }

  /** The producer to write through (a new run starts clean: what failed before is read again). */
  attach(producer: Producer | undefined): void {
    this.#producer = producer
    this.#failure = undefined
  }

  /** Records queued or cached, not handed to the producer yet. */
  get pending(): number {
    return this.#buffer.length + this.#cache.size
  }

  /**
   * Queues the latest record of a key of a compacted changelog (`owner`: where the key's cached change is kept): it
   * replaces the key's cached record, if any. Every change of that changelog comes this way, so no older record of
   * the key can be queued behind the cached one.
   */
  coalesce(record: ProduceRecord, owner: ChangeOwner): void {
    if (this.cacheMaxBytes === 0) {
      this.append(record)
      return
    }
    this.#cache.put(record, owner)
    if (this.#cache.bytes > this.cacheMaxBytes) {
      this.#cache.drain(this.#buffer)
      this.#send()
    }
  }

  append(record: ProduceRecord): void {
    this.#buffer.push(record)
    if (this.#buffer.length >= BATCH) this.#send()
    else if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(this.#onTurn)
    }
  }

  readonly #onTurn = (): void => {
    this.#scheduled = false
    this.#send()
  }

  #send(): void {
    const producer = this.#producer
    if (producer === undefined || this.#buffer.length === 0) return
    const records = this.#buffer
    this.#buffer = []
    const sent: Promise<void> = producer.send(records).then(
      (metadata) => {
        this.#inFlight.delete(sent)
        this.#host.onWritten(metadata)
      },
      (error) => {
        this.#inFlight.delete(sent)
        if (this.#failure === undefined) {
          this.#failure = error
          this.#host.onError(error)
        }
      },
    )
    this.#inFlight.add(sent)
  }

  /**
   * Drops what is queued and not sent (an aborted transaction: those changes are rolled back), and a failed send:
   * it doomed only the aborted transaction.
   */
  discard(): void {
    this.#buffer = []
    this.#cache.clear()
    this.#failure = undefined
  }

  /** Sends what is queued and waits until every send so far is acknowledged; throws if any failed. */
  async flush(): Promise<void> {
    this.#cache.drain(this.#buffer)
    this.#send()
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight])
    if (this.#failure !== undefined) throw this.#failure
  }
}
