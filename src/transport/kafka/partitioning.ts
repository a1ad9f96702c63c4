/**
 * How the Kafka producer places records (before the library sees them, so metadata can report them): an explicit
 * partition (checked against the topic), murmur2 of the key as the Java client, or round-robin without a key; and
 * the partition counts of the topics it writes.
 */
import { TransportError } from '../../errors.ts'
import { partitionForKey } from '../murmur2.ts'
import { type ProduceRecord, recordBytes } from '../types.ts'
import { partitionCount } from './errors.ts'
import type { KafkaConfig } from './options.ts'

type Client = Parameters<typeof partitionCount>[1]

/** Partition counts of the topics of `records`; unknown topics are absent. */
export async function partitionCounts(
  config: KafkaConfig,
  client: Client,
  records: Iterable<readonly ProduceRecord[]>,
  signal: AbortSignal,
): Promise<Map<string, number>> {
  const topics = new Set<string>()
  for (const list of records) for (const r of list) topics.add(r.topic)
  const counts = new Map<string, number>()
  await Promise.all(
    [...topics].map(async (topic) => {
      const count = await partitionCount(config, client, topic, { unknownRetries: 2, signal })
      if (count !== undefined) counts.set(topic, count)
    }),
  )
  return counts
}

/** Chooses partitions; remembers the round-robin position per topic. */
export class Partitioner {
  readonly #roundRobin = new Map<string, number>()

  partition(record: ProduceRecord, count: number): number {
    if (record.partition !== undefined) {
      if (Number.isInteger(record.partition) && record.partition >= 0 && record.partition < count) {
        return record.partition
      }
      throw new TransportError(
        'FST_TRANSPORT',
        `partition ${record.partition} out of range for topic "${record.topic}" (${count} partitions)`,
        { details: { topic: record.topic, partition: record.partition, partitions: count } },
      )
    }
    if (record.key !== null && record.key !== undefined) return partitionForKey(record.key, count)
    const next = this.#roundRobin.get(record.topic) ?? 0
    this.#roundRobin.set(record.topic, next + 1)
    return next % count
  }
}

/** What the library's `addPartitions` reads of cluster metadata: partition counts. */
export function partitionMetadata(counts: Map<string, number>): never {
  return { topics: new Map([...counts].map(([topic, count]) => [topic, { partitionsCount: count }])) } as never
}

/** Bytes of keys, values and headers of `records` (with what holds them), for the byte bound. */
export function bytesOf(records: readonly ProduceRecord[]): number {
  let bytes = 0
  for (let i = 0; i < records.length; i++) bytes += recordBytes(records[i])
  return bytes
}

export function toHeaderMap(headers: Record<string, Buffer | string>): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>()
  for (const name in headers) {
    const value = headers[name]
    map.set(Buffer.from(name), typeof value === 'string' ? Buffer.from(value) : value)
  }
  return map
}
