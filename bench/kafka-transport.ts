/**
 * Throughput check of the Kafka driver (not a test): fill a topic with N records of 100 bytes, then consume them and
 * produce each to another topic, once with the raw `@platformatic/kafka` client (its message stream piped into its
 * producer stream: the client's own consume-and-produce ceiling) and once through the Faustus Kafka transport
 * (consumer handler -> producer). Both idempotent with acks=all, no compression, same broker, same run.
 *
 * Run: `npx node bench/kafka-transport.ts [records] [partitions]` with FAUSTUS_TEST_KAFKA=host:port set, or without
 * it to start a throwaway broker.
 */
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { Consumer, ProduceAcks, Producer } from '@platformatic/kafka'
import { runRoot, startKafka } from '../scripts/kafka/index.ts'
import { KafkaTransport } from '../src/transport/kafka/index.ts'
import type { ConsumedRecord, ProduceRecord, RecordMetadata } from '../src/transport/types.ts'
import { rawCopy } from './kafka/raw.ts'

const total = Number(process.argv[2] ?? 1_000_000)
const partitions = Number(process.argv[3] ?? 6)
const value = Buffer.alloc(100, 'x')
const silent = { debug: () => {}, info: () => {}, warn: (o: object, m?: string) => console.error('warn:', m, o) }

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en')} records/s (${(ms / 1000).toFixed(2)} s)`
}

async function fill(transport: KafkaTransport, topic: string): Promise<void> {
  const producer = transport.createProducer({ batchMaxRecords: 20_000, maxBufferedRecords: 200_000 })
  const started = performance.now()
  const pending: Promise<unknown>[] = []
  for (let i = 0; i < total; i += 10_000) {
    const batch: ProduceRecord[] = []
    for (let j = i; j < Math.min(total, i + 10_000); j++) batch.push({ topic, key: Buffer.from(`k${j}`), value })
    pending.push(producer.send(batch))
    if (pending.length >= 16) await pending.shift()
  }
  await Promise.all(pending)
  await producer.close()
  console.log(`produce only, Faustus Kafka driver:      ${rate(total, performance.now() - started)}`)
}

async function rawLibrary(bootstrap: string, source: string, sink: string): Promise<number> {
  const consumer = new Consumer({
    clientId: 'bench-raw-consumer',
    groupId: `bench-raw-${randomUUID()}`,
    bootstrapBrokers: [bootstrap],
    maxWaitTime: 500,
    maxBytes: 32 * 1024 * 1024,
  })
  const producer = new Producer({
    clientId: 'bench-raw-producer',
    bootstrapBrokers: [bootstrap],
    idempotent: true,
    acks: ProduceAcks.ALL,
  })
  const out = producer.asStream({ batchSize: 10_000, batchTime: 5, highWaterMark: 20_000 })
  const started = performance.now()
  const stream = await consumer.consume({ topics: [source], mode: 'earliest', autocommit: false })
  let seen = 0
  for await (const message of stream) {
    if (!out.write({ topic: sink, key: message.key, value: message.value })) {
      await new Promise((resolve) => out.once('drain', resolve))
    }
    if (++seen === total) break
  }
  await out.close()
  const elapsed = performance.now() - started
  await stream.close()
  await consumer.close(true)
  await producer.close(true)
  return elapsed
}

async function driver(transport: KafkaTransport, source: string, sink: string): Promise<number> {
  const producer = transport.createProducer({ batchMaxRecords: 10_000, maxBufferedRecords: 100_000 })
  // The handler keeps a few sends in flight instead of waiting for each acknowledgement (as an agent's sink would).
  const window: Promise<RecordMetadata[]>[] = []
  let seen = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  const started = performance.now()
  const consumer = transport.createConsumer({
    groupId: `bench-driver-${randomUUID()}`,
    topics: [source],
    maxBatchSize: 10_000,
    handler: {
      onAssigned: () => {},
      onRevoked: () => {},
      onRecords: async (records: ConsumedRecord[]) => {
        const batch: ProduceRecord[] = new Array(records.length)
        for (let i = 0; i < records.length; i++) {
          batch[i] = { topic: sink, key: records[i].key, value: records[i].value }
        }
        window.push(producer.send(batch))
        if (window.length > 8) await window.shift()
        seen += records.length
        if (seen >= total) done()
      },
    },
  })
  await consumer.start()
  await finished
  await Promise.all(window)
  const elapsed = performance.now() - started
  await consumer.close()
  await producer.close()
  return elapsed
}

async function main(): Promise<void> {
  let bootstrap = process.env.FAUSTUS_TEST_KAFKA
  let stop: (() => Promise<void>) | undefined
  if (!bootstrap) {
    const cluster = await startKafka({ brokers: 1, dir: join(runRoot(), `bench-${process.pid}`) })
    bootstrap = cluster.bootstrap
    stop = () => cluster.stop()
  }
  const transport = new KafkaTransport({ url: `kafka://${bootstrap}`, clientId: 'bench', logger: silent })
  await transport.connect()
  const id = randomUUID().slice(0, 8)
  const [source, sinkRaw, sinkBatched, sinkDriver] = ['src', 'raw', 'batched', 'drv'].map((n) => `bench-${n}-${id}`)
  const all = [source, sinkRaw, sinkBatched, sinkDriver]
  await transport.ensureTopics(all.map((name) => ({ name, partitions, replicas: 1 })))
  console.log(`${total.toLocaleString('en')} records of 100 bytes, ${partitions} partitions, broker ${bootstrap}`)
  try {
    await fill(transport, source)
    const raw = await rawLibrary(bootstrap, source, sinkRaw)
    console.log(`consume+produce, raw library (streams):  ${rate(total, raw)}`)
    const batched = await rawCopy(bootstrap, source, sinkBatched, total)
    console.log(`consume+produce, raw library (batched):  ${rate(total, batched)}`)
    const ours = await driver(transport, source, sinkDriver)
    console.log(`consume+produce, Faustus Kafka driver:   ${rate(total, ours)}`)
    const ratio = (other: number) => `${((other / ours) * 100).toFixed(0)}%`
    console.log(`driver vs raw streams: ${ratio(raw)}, driver vs raw batched: ${ratio(batched)}`)
    const sinks = await transport.listOffsets(
      [sinkRaw, sinkBatched, sinkDriver].flatMap((topic) =>
        Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
      ),
    )
    for (const topic of [sinkRaw, sinkBatched, sinkDriver]) {
      const n = sinks.filter((o) => o.topic === topic).reduce((sum, o) => sum + o.latest, 0)
      console.log(`records in ${topic}: ${n.toLocaleString('en')}`)
    }
  } finally {
    await transport.deleteTopics(all)
    await transport.close()
    await stop?.()
  }
}

await main()
