/**
 * Throughput check of the memory transport (not a test): produce 1M records of 100 bytes and consume them through
 * one consumer. Run: `npx node bench/memory-transport.ts [records] [batchSize] [partitions]`.
 */
import { MemoryTransport } from '../src/transport/memory/index.ts'
import type { ProduceRecord } from '../src/transport/types.ts'

const total = Number(process.argv[2] ?? 1_000_000)
const sendBatch = Number(process.argv[3] ?? 1000)
const partitions = Number(process.argv[4] ?? 8)
const value = Buffer.alloc(100, 'x')
const keys = Array.from({ length: 1024 }, (_, i) => Buffer.from(`key-${i.toString().padStart(8, '0')}`))

function batches(topic: string, keyed: boolean): ProduceRecord[][] {
  const out: ProduceRecord[][] = []
  for (let i = 0; i < total; i += sendBatch) {
    const batch: ProduceRecord[] = []
    for (let j = i; j < Math.min(total, i + sendBatch); j++)
      batch.push({ topic, key: keyed ? keys[j & 1023] : null, value })
    out.push(batch)
  }
  return out
}

function rate(n: number, ms: number): string {
  return `${(n / ms / 1000).toFixed(2)}M records/s (${ms.toFixed(0)} ms)`
}

async function consumeAll(transport: MemoryTransport, topic: string, started: () => void): Promise<number> {
  let seen = 0
  let bytes = 0
  let done!: () => void
  const finished = new Promise<void>((resolve) => {
    done = resolve
  })
  const consumer = transport.createConsumer({
    groupId: `bench-${topic}`,
    topics: [topic],
    handler: {
      onAssigned: () => {},
      onRevoked: () => {},
      onRecords: (records) => {
        for (const r of records) bytes += r.value?.length ?? 0
        seen += records.length
        if (seen >= total) done()
      },
    },
  })
  await consumer.start()
  const t0 = performance.now()
  started()
  await finished
  const ms = performance.now() - t0
  await consumer.close()
  if (bytes !== total * value.length) throw new Error('lost bytes')
  return ms
}

async function main(): Promise<void> {
  const transport = new MemoryTransport({ url: 'memory://bench' })
  for (const keyed of [true, false]) {
    const label = keyed ? 'keyed (murmur2)' : 'no key (round-robin)'
    // 1. Produce everything, then drain it with one consumer.
    const topic = `bench-${keyed ? 'keyed' : 'rr'}`
    await transport.ensureTopics([{ name: topic, partitions }])
    const input = batches(topic, keyed)
    const producer = transport.createProducer()
    const t0 = performance.now()
    for (const batch of input) await producer.send(batch)
    const produceMs = performance.now() - t0
    const consumeMs = await consumeAll(transport, topic, () => {})
    console.log(`${label}: produce ${rate(total, produceMs)}; consume ${rate(total, consumeMs)}`)

    // 2. Produce and consume at once (the consumer is live while the producer sends).
    const live = `${topic}-live`
    await transport.ensureTopics([{ name: live, partitions }])
    const liveInput = batches(live, keyed)
    const ms = await consumeAll(transport, live, () => {
      void (async () => {
        for (const batch of liveInput) await producer.send(batch)
      })()
    })
    console.log(`${label}: produce while consuming, end to end ${rate(total, ms)}`)
  }
  await transport.close()
}

await main()
