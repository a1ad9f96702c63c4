// Several worker processes in one group on a real broker: partitions are shared, keyed events reach the owner of
// their partition, and workers joining and leaving (gracefully) under load lose nothing and process nothing twice.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import type { ConsumedRecord } from '../../src/transport/types.ts'
import { waitFor } from '../helpers.ts'

const run = randomUUID().slice(0, 8)
const workers = new Map<string, ChildProcess>()
const fixture = join(import.meta.dirname, 'fixtures', 'relay-worker.ts')
// Node itself with tsx as a loader: the tsx CLI would put a wrapper process between us and the worker's signals.
const node = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node')

function startWorker(name: string): Promise<void> {
  const child = spawn(node, ['--import', 'tsx', fixture], {
    env: { ...process.env, MW_RUN: run, MW_NAME: name, FAUSTUS_TEST_KAFKA: inject('kafkaBootstrap') },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  workers.set(name, child)
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => data.toString().includes('ready') && resolve())
    child.on('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready`)))
  })
}

function stopWorker(name: string): Promise<number | null> {
  const child = workers.get(name)!
  workers.delete(name)
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve(code))
    child.kill('SIGTERM')
  })
}

afterAll(() => {
  for (const child of workers.values()) child.kill('SIGKILL')
})

async function readAll(transport: KafkaTransport, topic: string, expected: number, timeoutMs: number) {
  const records: ConsumedRecord[] = []
  const reader = transport.createConsumer({
    handler: { onAssigned() {}, onRevoked() {}, onRecords: (batch) => void records.push(...batch) },
  })
  await reader.assign([{ topic, partition: 0, offset: 0 }])
  await reader.start()
  await waitFor(() => records.length >= expected, timeoutMs, `${expected} records on ${topic}`, { intervalMs: 100 })
  // Then to the end offset, so duplicates written by now show.
  const [end] = await transport.listOffsets([{ topic, partition: 0 }])
  await waitFor(() => records.length >= end.latest, timeoutMs, `${topic} read to its end`, { intervalMs: 100 })
  await reader.close()
  return records.map(
    (r) => JSON.parse(r.value!.toString()) as { id: number; key: string; worker: string; partition: number },
  )
}

describe('worker processes sharing a group', () => {
  it('share partitions and survive joins and graceful leaves under load with no loss and no duplicates', async () => {
    const transport = new KafkaTransport({ url: `kafka://${inject('kafkaBootstrap')}` })
    await transport.connect()
    await transport.ensureTopics([
      { name: `mw-in-${run}`, partitions: 6, replicas: 1 },
      { name: `mw-out-${run}`, partitions: 1, replicas: 1 },
    ])
    const producer = transport.createProducer()
    let sent = 0
    const sendSome = async (count: number) => {
      const records = []
      for (let i = 0; i < count; i++, sent++) {
        const key = `k${sent % 50}`
        records.push({
          topic: `mw-in-${run}`,
          key: Buffer.from(key),
          value: Buffer.from(JSON.stringify({ id: sent, key })),
        })
      }
      await producer.send(records)
    }
    await Promise.all([startWorker('a'), startWorker('b')])
    await sendSome(500)
    // A third worker joins under load.
    const joining = startWorker('c')
    for (let i = 0; i < 5; i++) await sendSome(100)
    await joining
    await sendSome(500)
    // One leaves gracefully under load.
    const leaving = stopWorker('b')
    for (let i = 0; i < 5; i++) await sendSome(100)
    expect(await leaving).toBe(0)
    await sendSome(500)
    await producer.flush()

    const out = await readAll(transport, `mw-out-${run}`, sent, 90_000)
    const ids = out.map((r) => r.id).sort((x, y) => x - y)
    expect(ids.length).toBe(sent)
    expect(ids).toEqual([...Array(sent).keys()])
    // Keyed events were processed from the partition their key hashes to.
    for (const r of out) expect(r.partition).toBe(partitionForKey(Buffer.from(r.key), 6))
    // Every worker took part.
    expect(new Set(out.map((r) => r.worker))).toEqual(new Set(['a', 'b', 'c']))
    await Promise.all([...workers.keys()].map(stopWorker))
    await producer.close()
    await transport.close()
  }, 240_000)
})
