// Word count on Kafka with two worker processes (examples/wordcount.ts): after a graceful leave and a rebalance the
// counts equal the truth exactly; after kill -9 of a worker no update is lost (counts >= truth, at-least-once).
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import type { ConsumedRecord } from '../../src/transport/types.ts'
import { waitFor } from '../helpers.ts'

const run = randomUUID().slice(0, 8)
const appId = `wc-${run}`
const changelog = `${appId}-word_counts-changelog`
const workers = new Map<string, ChildProcess>()
const fixture = join(import.meta.dirname, 'fixtures', 'wordcount-worker.ts')
// Node itself with tsx as a loader: the tsx CLI would put a wrapper process between us and the worker's signals.
const node = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node')

function startWorker(name: string, store = mkdtempSync(join(tmpdir(), 'faustus-wc-'))): Promise<void> {
  const child = spawn(node, ['--import', 'tsx', fixture], {
    env: { ...process.env, WC_RUN: run, WC_STORE: store, FAUSTUS_TEST_KAFKA: inject('kafkaBootstrap') },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  workers.set(name, child)
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (data: Buffer) => data.toString().includes('ready') && resolve())
    child.on('exit', (code) => reject(new Error(`worker ${name} exited with ${code} before it was ready`)))
  })
}

function stopWorker(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  const child = workers.get(name)!
  workers.delete(name)
  return new Promise((resolve) => {
    child.on('exit', (code) => resolve(code))
    child.kill(signal)
  })
}

afterAll(() => {
  for (const child of workers.values()) child.kill('SIGKILL')
})

/** The table as its changelog says: the last value of each key. */
async function tableFromChangelog(transport: KafkaTransport): Promise<Map<string, number>> {
  const ends = await transport.listOffsets([0, 1, 2, 3].map((partition) => ({ topic: changelog, partition })))
  const total = ends.reduce((n, e) => n + e.latest - e.earliest, 0)
  const records: ConsumedRecord[] = []
  const table = new Map<string, number>()
  if (total === 0) return table
  const reader = transport.createConsumer({
    handler: { onAssigned() {}, onRevoked() {}, onRecords: (batch) => void records.push(...batch) },
  })
  await reader.assign(ends.map((e) => ({ topic: changelog, partition: e.partition, offset: e.earliest })))
  await reader.start()
  await waitFor(() => records.length >= total, 30_000, 'the changelog read to its end', { intervalMs: 50 })
  await reader.close()
  records.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
  for (const r of records) table.set(JSON.parse(r.key!.toString()), JSON.parse(r.value!.toString()))
  return table
}

/** The table once its counts add up to `atLeast`. */
function tableWithTotal(transport: KafkaTransport, atLeast: number, timeoutMs = 60_000) {
  const table = async () => {
    const counts = await tableFromChangelog(transport)
    return [...counts.values()].reduce((a, b) => a + b, 0) >= atLeast ? counts : undefined
  }
  return waitFor(table, timeoutMs, `a total of ${atLeast} in the changelog`, { intervalMs: 500 })
}

describe('word count on Kafka', () => {
  it('two workers: exact after a graceful leave, nothing lost after kill -9', async () => {
    const transport = new KafkaTransport({ url: `kafka://${inject('kafkaBootstrap')}` })
    await transport.connect()
    await transport.ensureTopics([{ name: `words-${run}`, partitions: 4, replicas: 1 }])
    const producer = transport.createProducer()
    const truth = new Map<string, number>()
    let sent = 0
    const sendWords = async (count: number) => {
      const records = []
      for (let i = 0; i < count; i++, sent++) {
        const word = `w${(sent * 7) % 31}`
        truth.set(word, (truth.get(word) ?? 0) + 1)
        records.push({ topic: `words-${run}`, key: null, value: Buffer.from(JSON.stringify(word)) })
      }
      await producer.send(records)
      await producer.flush()
    }
    // The run id keeps the topic, group and changelog apart from other runs.
    await Promise.all([startWorker('a'), startWorker('b')])
    await sendWords(400)
    await tableWithTotal(transport, 400)
    expect(await stopWorker('b')).toBe(0)
    await sendWords(200)
    const exact = await tableWithTotal(transport, 600)
    expect(Object.fromEntries(exact)).toEqual(Object.fromEntries(truth))

    // kill -9 while words flow: what was not committed is processed again, so counts may exceed the truth.
    await startWorker('c')
    await sendWords(300)
    await stopWorker('a', 'SIGKILL')
    await sendWords(100)
    const after = await tableWithTotal(transport, sent, 90_000)
    for (const [word, n] of truth) expect(after.get(word) ?? 0).toBeGreaterThanOrEqual(n)
    await Promise.all([...workers.keys()].map((name) => stopWorker(name)))
    await producer.close()
    await transport.close()
  }, 300_000)
})
