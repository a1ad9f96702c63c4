/**
 * The input topics of the anchors benchmark: 100-byte records over the partitions, unkeyed and spread evenly for
 * the passthrough, and keyed ("key-00042", 10,000 keys) on the partition Java's default partitioner picks
 * (murmur2 of the key bytes) for the keyed count, so Kafka Streams, Quix, Faust and Faustus agree on co-partitioning.
 */
import { type MessageToProduce, ProduceAcks, Producer } from '@platformatic/kafka'
import { murmur2, toPositive } from '../../src/transport/murmur2.ts'
import { VALUE_BYTES } from '../kafka/common.ts'

export const KEYS = 10_000
const SEND_BATCH = 10_000
const IN_FLIGHT = 8

export function keyOf(i: number): Buffer {
  return Buffer.from(`key-${String(i % KEYS).padStart(5, '0')}`)
}

/** Writes `total` keyed records (key `keyOf(i)`, murmur2-partitioned); returns the elapsed ms. */
export async function fillKeyed(bootstrap: string, topic: string, total: number, partitions: number) {
  const client = new Producer({
    clientId: 'bench-anchors-fill',
    bootstrapBrokers: [bootstrap],
    idempotent: true,
    acks: ProduceAcks.ALL,
  })
  const value = Buffer.alloc(VALUE_BYTES, 'x')
  const keys = Array.from({ length: Math.min(KEYS, total) }, (_, i) => keyOf(i))
  const partitionOf = keys.map((key) => toPositive(murmur2(key)) % partitions)
  const started = performance.now()
  const window: Promise<unknown>[] = []
  try {
    for (let start = 0; start < total; start += SEND_BATCH) {
      const messages: MessageToProduce[] = []
      for (let i = start; i < Math.min(total, start + SEND_BATCH); i++) {
        const k = i % KEYS
        messages.push({ topic, partition: partitionOf[k], key: keys[k], value })
      }
      window.push(client.send({ messages }))
      if (window.length >= IN_FLIGHT) await window.shift()
    }
    await Promise.all(window)
    return performance.now() - started
  } finally {
    await client.close(true)
  }
}
