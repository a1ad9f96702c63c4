/**
 * The input topics of the anchors benchmark: 100-byte records over the partitions, unkeyed and spread evenly for
 * the passthrough, and keyed ("key-00042", 10,000 keys) on the partition Java's default partitioner picks
 * (murmur2 of the key bytes) for the keyed count, so Kafka Streams, Quix, Faust and Faustus agree on co-partitioning.
 */
import { murmur2, toPositive } from '../../src/transport/murmur2.ts'
import { VALUE_BYTES } from '../kafka/common.ts'
import { produceAll } from '../kafka/raw.ts'

export const KEYS = 10_000

export function keyOf(i: number): Buffer {
  return Buffer.from(`key-${String(i % KEYS).padStart(5, '0')}`)
}

/** Writes `total` keyed records (key `keyOf(i)`, murmur2-partitioned); returns the elapsed ms. */
export async function fillKeyed(bootstrap: string, topic: string, total: number, partitions: number) {
  const value = Buffer.alloc(VALUE_BYTES, 'x')
  const keys = Array.from({ length: Math.min(KEYS, total) }, (_, i) => keyOf(i))
  const partitionOf = keys.map((key) => toPositive(murmur2(key)) % partitions)
  return produceAll(bootstrap, 'bench-anchors-fill', total, (i) => {
    const k = i % KEYS
    return { topic, partition: partitionOf[k], key: keys[k], value }
  })
}
