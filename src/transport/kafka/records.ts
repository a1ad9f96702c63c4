import { IS_CONTROL, type RecordsBatch } from '@platformatic/kafka'
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

/**
 * Turns the record batches of one partition into consumed records, dropping control records and records before
 * `fromOffset` (a batch may start before the requested offset).
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
): PartitionRecords {
  const records: ConsumedRecord[] = []
  let nextOffset = fromOffset
  if (!batches) return { records, nextOffset }
  for (const batch of batches) {
    const base = Number(batch.firstOffset)
    const last = base + batch.lastOffsetDelta
    if (last + 1 > nextOffset) nextOffset = last + 1
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
