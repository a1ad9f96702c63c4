import type { MessageToProduce, ProduceResult } from '@platformatic/kafka'
import type { RecordMetadata } from '../types.ts'
import { errorTree } from './error-tree.ts'

export type Message = MessageToProduce<Buffer, Buffer, Buffer, Buffer>

/*
  A produce request carries one record batch per partition; the broker refuses a batch over `message.max.bytes`
  (1 MiB by default). Record (v2) on the wire, per record:
    length VARINT, attributes INT8, timestamp_delta VARLONG, offset_delta VARINT,
    key_length VARINT, key, value_length VARINT, value, header_count VARINT, [key_length VARINT, key, value_length VARINT, value]
  so a record takes its key, value and header bytes plus at most ~25 bytes of varints (and 10 per header).
*/
export function recordSize(message: Message): number {
  let size = 25 + (message.key?.length ?? 0) + (message.value?.length ?? 0)
  const headers = message.headers
  if (headers instanceof Map) for (const [k, v] of headers) size += 10 + k.length + v.length
  return size
}

/** Splits messages, in order, into requests whose batch per partition stays under `maxBatchBytes`. */
export function splitByBatchBytes(messages: Message[], maxBatchBytes: number): Message[][] {
  const requests: Message[][] = []
  let current: Message[] = []
  // Bytes per partition in the current request: topic -> partition -> bytes.
  let used = new Map<string, number[]>()
  for (const message of messages) {
    const size = recordSize(message)
    const partition = message.partition ?? 0
    let topic = used.get(message.topic)
    if (!topic) used.set(message.topic, (topic = []))
    const bytes = topic[partition] ?? 0
    if (bytes > 0 && bytes + size > maxBatchBytes) {
      requests.push(current)
      current = []
      used = new Map([[message.topic, (topic = [])]])
    }
    current.push(message)
    topic[partition] = (topic[partition] ?? 0) + size
  }
  if (current.length > 0) requests.push(current)
  return requests
}

/**
 * Fills in the offsets of `metadata` (aligned with the messages of `requests`, in order): a request's result holds the
 * base offset of each partition batch, and the records of a batch have consecutive offsets in send order.
 */
export function assignOffsets(requests: Message[][], results: ProduceResult[], metadata: RecordMetadata[]): void {
  let index = 0
  requests.forEach((request, k) => {
    // Next offset per topic and partition; no string key per record (this runs for every record produced).
    const next = new Map<string, number[]>()
    for (const { topic, partition, offset } of results[k].offsets ?? []) {
      let partitions = next.get(topic)
      if (partitions === undefined) next.set(topic, (partitions = []))
      partitions[partition] = Number(offset)
    }
    let lastTopic: string | undefined
    let partitions: number[] | undefined
    for (const message of request) {
      if (message.topic !== lastTopic) {
        lastTopic = message.topic
        partitions = next.get(lastTopic)
        if (partitions === undefined) next.set(lastTopic, (partitions = []))
      }
      const partition = message.partition ?? 0
      const offset = partitions![partition] ?? -1
      metadata[index++].offset = offset
      partitions![partition] = offset + 1
    }
  })
}

interface PartitionResponse {
  index: number
  errorCode: number
  baseOffset: bigint
}

/** The produce response carried by a failed request's error, if any (per-partition outcomes). */
function responseOf(error: unknown): { responses: { name: string; partitionResponses: PartitionResponse[] }[] } | null {
  for (const e of errorTree(error) as Iterable<{ response?: { responses?: unknown } }>) {
    if (Array.isArray(e.response?.responses)) return e.response as never
  }
  return null
}

/**
 * Offsets of the requests that (partly) succeeded, and which records failed: a produce request is one batch per
 * partition and the broker answers per partition, so when one partition's batch is refused the others may be
 * written. Fills in `metadata` offsets (aligned with the messages of `requests`) and returns the failed entries.
 */
export function settleRequests(
  requests: Message[][],
  settled: PromiseSettledResult<ProduceResult>[],
  metadata: RecordMetadata[],
): { failed: Set<RecordMetadata>; failure: unknown } {
  const failed = new Set<RecordMetadata>()
  let failure: unknown
  const results: ProduceResult[] = []
  const refused: (Set<string> | null)[] = []
  settled.forEach((outcome, k) => {
    if (outcome.status === 'fulfilled') {
      results[k] = outcome.value
      refused[k] = new Set()
      return
    }
    failure ??= outcome.reason
    const response = responseOf(outcome.reason)
    if (response === null) {
      results[k] = { offsets: [] } as ProduceResult
      refused[k] = null // nothing known: every record of the request failed
      return
    }
    const offsets: { topic: string; partition: number; offset: bigint }[] = []
    const bad = new Set<string>()
    for (const { name, partitionResponses } of response.responses) {
      for (const p of partitionResponses) {
        if (p.errorCode === 0) offsets.push({ topic: name, partition: p.index, offset: p.baseOffset })
        else bad.add(`${name}\u0000${p.index}`)
      }
    }
    results[k] = { offsets } as ProduceResult
    refused[k] = bad
  })
  assignOffsets(requests, results, metadata)
  if (failure === undefined) return { failed, failure }
  let index = 0
  requests.forEach((request, k) => {
    const bad = refused[k]
    for (const message of request) {
      const meta = metadata[index++]
      if (bad === null || bad.has(`${message.topic}\u0000${message.partition}`) || meta.offset < 0) failed.add(meta)
    }
  })
  return { failed, failure }
}
