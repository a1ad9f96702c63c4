/**
 * Throughput check of the memory transport (not a test): 1M records of 100 bytes produced in batches and consumed
 * through one consumer that commits as it goes (as an agent does). Each scenario runs on fresh topics, a few times;
 * the machine is shared, so compare runs made together rather than across days.
 * Run: `npx node bench/memory-transport.ts [records] [sendBatch] [partitions] [runs]`.
 */
import { MemoryTransport } from '../src/transport/memory/index.ts'
import type { ProduceRecord, Producer } from '../src/transport/types.ts'

const total = Number(process.argv[2] ?? 1_000_000)
const sendBatch = Number(process.argv[3] ?? 1000)
const partitions = Number(process.argv[4] ?? 8)
const runs = Number(process.argv[5] ?? 3)
const value = Buffer.alloc(100, 'x')
const keys = Array.from({ length: 1024 }, (_, i) => Buffer.from(`key-${i.toString().padStart(8, '0')}`))

async function produce(producer: Producer, topic: string, keyed: boolean): Promise<void> {
  for (let i = 0; i < total; i += sendBatch) {
    const n = Math.min(sendBatch, total - i)
    const batch = new Array<ProduceRecord>(n)
    for (let j = 0; j < n; j++) batch[j] = { topic, key: keyed ? keys[(i + j) & 1023] : null, value }
    await producer.send(batch)
  }
}

/** Starts a consumer; resolves with the ms from `begin()` to the last record. */
async function consume(transport: MemoryTransport, topic: string, begin: () => void): Promise<number> {
  let seen = 0
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
      onRecords: async (records) => {
        seen += records.length
        const last = records[records.length - 1]
        // Commit like an agent does, so retention can drop what is done with.
        await consumer.commit([{ topic, partition: last.partition, offset: last.offset + 1 }])
        if (seen >= total) done()
      },
    },
  })
  await consumer.start()
  const t0 = performance.now()
  begin()
  await finished
  const ms = performance.now() - t0
  await consumer.close()
  return ms
}

const rate = (ms: number) => total / ms / 1000

async function scenario(transport: MemoryTransport, keyed: boolean, run: number): Promise<number[]> {
  const producer = transport.createProducer()
  const topic = `bench-${keyed ? 'keyed' : 'rr'}-${run}`
  await transport.ensureTopics([{ name: topic, partitions }])
  const t0 = performance.now()
  await produce(producer, topic, keyed)
  const produceMs = performance.now() - t0
  const consumeMs = await consume(transport, topic, () => {})
  const live = `${topic}-live`
  await transport.ensureTopics([{ name: live, partitions }])
  const liveMs = await consume(transport, live, () => void produce(producer, live, keyed))
  await transport.deleteTopics([topic, live])
  return [rate(produceMs), rate(consumeMs), rate(liveMs)]
}

const transport = new MemoryTransport({ url: 'memory://bench' })
for (const keyed of [true, false]) {
  const results: number[][] = []
  for (let run = 0; run < runs; run++) results.push(await scenario(transport, keyed, run))
  const median = (i: number) =>
    results
      .map((r) => r[i])
      .sort((a, b) => a - b)
      [Math.floor(runs / 2)].toFixed(2)
  const label = keyed ? 'keyed (murmur2)    ' : 'no key (round-robin)'
  console.log(
    `${label} M records/s, median of ${runs}: produce ${median(0)}, consume ${median(1)}, ` +
      `produce+consume live ${median(2)}`,
  )
}
await transport.close()
