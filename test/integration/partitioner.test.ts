// Partitioner proof: keys sent by Kafka's own Java producer (default partitioner, from the broker's jars) land on
// the partitions where Faustus puts the same keys, on a real broker.
import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { libsDir, repoRoot } from '../../scripts/kafka/paths.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'

const PARTITIONS = 7
const KEYS = [
  '21',
  'foobar',
  'a-little-bit-long-string',
  'account-42',
  'ünïcødé',
  '',
  ...Array.from({ length: 40 }, (_, i) => `key-${i * 7919}`),
]

let transport: KafkaTransport
const topic = `partitioner-${randomUUID()}`
const classes = join(repoRoot, '.cache', 'java-classes')

beforeAll(async () => {
  transport = new KafkaTransport({ url: `kafka://${inject('kafkaBootstrap')}` })
  await transport.connect()
  await transport.ensureTopics([{ name: topic, partitions: PARTITIONS, replicas: 1 }])
  mkdirSync(classes, { recursive: true })
  execFileSync('javac', [
    '-cp',
    `${libsDir()}/*`,
    '-d',
    classes,
    join(import.meta.dirname, 'java', 'KeyedProducer.java'),
  ])
})

afterAll(async () => {
  await transport?.close()
})

describe('keyed partitioning matches the Java client', () => {
  it('puts every key on the partition Java chose', async () => {
    const output = execFileSync(
      'java',
      ['-cp', `${classes}:${libsDir()}/*`, 'KeyedProducer', inject('kafkaBootstrap'), topic, ...KEYS],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    )
    const javaPartitions = new Map(
      output
        .trim()
        .split('\n')
        .map((line) => line.split('\t'))
        .map(([key, partition]) => [key, Number(partition)]),
    )
    expect(javaPartitions.size).toBe(new Set(KEYS).size)
    const producer = transport.createProducer()
    const metadata = await producer.send(KEYS.map((key) => ({ topic, key: Buffer.from(key), value: Buffer.from(key) })))
    await producer.close()
    KEYS.forEach((key, i) => {
      expect({ key, partition: metadata[i].partition }).toEqual({ key, partition: javaPartitions.get(key) })
      expect(partitionForKey(Buffer.from(key), PARTITIONS)).toBe(javaPartitions.get(key))
    })
    // The keys spread: the check is not passing because everything went to one partition.
    expect(new Set(javaPartitions.values()).size).toBeGreaterThan(3)
  })
})
