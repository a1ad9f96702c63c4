import { IS_CONTROL, IS_TRANSACTIONAL, type RecordsBatch } from '@platformatic/kafka'
import type { ConsumedRecord, Headers } from '../types.ts'

/** Shared by every record consumed without headers; frozen because handlers share records. */
const NO_HEADERS: Headers = Object.freeze({}) as Headers

/** Batch attribute bit 3: the broker stamped the batch with log-append time (then `maxTimestamp` is the time). */
const LOG_APPEND_TIME = 0x08

export interface PartitionRecords {
  records: ConsumedRecord[]
  /** The offset after the last batch, control batches included: where the next fetch starts. */
  nextOffset: number
}

/** An aborted transaction as a read_committed fetch response lists it: its producer and first offset. */
export interface AbortedTransaction {
  producerId: bigint
  firstOffset: bigint
}

/**
 * Turns the record batches of one partition into consumed records, dropping control records, records before
 * `fromOffset` (a batch may start before the requested offset), and (read_committed) records of the transactions
 * the response lists as aborted.
 *
 * Record batch v2 (as decoded by the library): base offset INT64, ..., attributes INT16, last offset delta INT32,
 * base timestamp INT64, max timestamp INT64, ..., records: [attributes INT8, timestamp delta VARLONG, offset delta
 * VARINT, key VARBYTES, value VARBYTES, headers [key VARBYTES, value VARBYTES]].
 */
export function toConsumedRecords(
  topic: string,
  partition: number,
  batches: RecordsBatch[] | null | undefined,
  fromOffset: number,
  aborted?: readonly AbortedTransaction[] | null,
): PartitionRecords {
  const records: ConsumedRecord[] = []
  let nextOffset = fromOffset
  if (!batches) return { records, nextOffset }
  const skip = aborted && aborted.length > 0 ? new AbortedBatches(aborted) : undefined
  for (const batch of batches) {
    const base = Number(batch.firstOffset)
    const last = base + batch.lastOffsetDelta
    if (last + 1 > nextOffset) nextOffset = last + 1
    if (skip?.skips(batch)) continue
    if (batch.attributes & IS_CONTROL) continue
    const logAppend = (batch.attributes & LOG_APPEND_TIME) !== 0
    const baseTimestamp = Number(logAppend ? batch.maxTimestamp : batch.firstTimestamp)
    for (const record of batch.records) {
      const offset = base + record.offsetDelta
      if (offset < fromOffset) continue
      records.push({
        topic,
        partition,
        offset,
        key: record.key,
        value: record.value,
        headers: toHeaders(record.headers),
        timestamp: logAppend ? baseTimestamp : baseTimestamp + Number(record.timestampDelta),
      })
    }
  }
  return { records, nextOffset }
}

function toHeaders(entries: [Buffer | null, Buffer | null][]): Headers {
  if (entries.length === 0) return NO_HEADERS
  const headers: Headers = {}
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i]
    if (key === null) continue
    headers[key.toString('utf8')] = value ?? Buffer.alloc(0)
  }
  return headers
}

/**
 * Which batches of a read_committed response belong to aborted transactions, read in offset order (as Kafka's Java
 * client does): a producer's batches are skipped from its aborted transaction's first offset up to its ABORT marker.
 * It is the only filter: the library's own sees no aborted transactions (aborted-list.ts), as it kept all but the
 * last of a producer's and, ending its range at the producer's last ABORT marker, dropped committed ones.
 */
class AbortedBatches {
  /** Aborted transactions not reached yet, by first offset. */
  readonly #pending: AbortedTransaction[]
  /** Producers inside an aborted transaction at the current batch. */
  readonly #producers = new Set<bigint>()

  constructor(aborted: readonly AbortedTransaction[]) {
    this.#pending = [...aborted].sort((a, b) =>
      a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0,
    )
  }

  skips(batch: RecordsBatch): boolean {
    const last = batch.firstOffset + BigInt(batch.lastOffsetDelta)
    while (this.#pending.length > 0 && this.#pending[0].firstOffset <= last) {
      this.#producers.add(this.#pending.shift()!.producerId)
    }
    if ((batch.attributes & IS_TRANSACTIONAL) === 0) return false
    if (batch.attributes & IS_CONTROL) {
      // Control record key: version INT16, type INT16 (0 ABORT, 1 COMMIT). The marker ends the producer's transaction.
      if (batch.records[0]?.key?.readInt16BE(2) === 0) this.#producers.delete(batch.producerId)
      return false
    }
    return this.#producers.has(batch.producerId)
  }
}
