// Exactly-once on a real broker: two worker processes relaying and counting, one killed with SIGKILL mid-stream
// (no revoke, no commit, its transaction left open until the broker aborts it). Every input must give exactly one
// committed output (read with read_committed to the end offsets) and the count table must equal the truth.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { App } from '../../src/index.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd, waitFor } from '../helpers.ts'
import { EOS_PARTITIONS, eosWorker } from './fixtures/eos-worker.ts'

const RECORDS = Number(process.env.EOS_TEST_RECORDS ?? 20_000)
const KEYS = 101
const node = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node')
const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

function spawnWorker(run: string, bootstrap: string): Promise<ChildProcess> {
  const child = spawn(node, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'eos-worker.ts')], {
    env: { ...process.env, RUN_EOS_WORKER: '1', EOS_RUN: run, FAUSTUS_TEST_KAFKA: bootstrap },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  return new Promise((resolve) => child.stdout!.on('data', (d: Buffer) => d.includes('ready') && resolve(child)))
}

/** Inputs `from` to `to` (exclusive) from a plain producer, counted into `truth`. */
async function produce(
  producer: { send(records: { topic: string; key: Buffer; value: Buffer }[]): Promise<unknown> },
  topic: string,
  from: number,
  to: number,
  truth: Map<string, number>,
): Promise<void> {
  const records = []
  for (let i = from; i < to; i++) {
    const key = `key-${i % KEYS}`
    truth.set(key, (truth.get(key) ?? 0) + 1)
    records.push({ topic, key: Buffer.from(key), value: Buffer.from(JSON.stringify({ id: i })) })
  }
  await producer.send(records)
}

describe('exactly-once on Kafka', () => {
  it('10 joins and leaves of a second worker under load: exactly one committed output per input, exact counts', async () => {
    const bootstrap = inject('kafkaBootstrap')
    const run = randomUUID().slice(0, 8)
    const stayer = eosWorker(run, bootstrap)
    await stayer.app.start()
    const transport = await openTransport(new App(`eos-client-${run}`, { broker: `kafka://${bootstrap}` }))
    const producer = transport.createProducer()
    const truth = new Map<string, number>()
    // 20,000 by default (CI); EOS_JOINS_RECORDS=200000 for the full figure.
    const total = Number(process.env.EOS_JOINS_RECORDS ?? Math.min(RECORDS, 20_000))
    const chunk = total / 20
    let sent = 0
    for (let cycle = 0; cycle < 10; cycle++) {
      const visitor = eosWorker(run, bootstrap)
      await visitor.app.start()
      await produce(producer, stayer.input, sent, sent + chunk, truth)
      sent += chunk
      await visitor.app.stop()
      await produce(producer, stayer.input, sent, sent + chunk, truth)
      sent += chunk
    }
    await allCommitted(transport, stayer.app.groupId, partitionsOf(stayer.input, EOS_PARTITIONS))
    const outputs = await readToEnd(transport, partitionsOf(stayer.output, EOS_PARTITIONS))
    const ids = outputs.map((r) => (JSON.parse(r.value!.toString()) as { id: number }).id)
    console.log(
      `exactly-once 10 joins/leaves: ${total} inputs, ${ids.length} committed outputs, ${new Set(ids).size} distinct`,
    )
    expect(new Set(ids).size).toBe(total)
    expect(ids.length).toBe(total)
    const wrong = [...truth].filter(([key, count]) => stayer.counts.get(key) !== count)
    expect(wrong).toEqual([])
    await producer.close()
    await transport.close()
    await stayer.app.stop()
  }, 600_000)

  it(`kill -9 of one of two workers mid-stream: ${RECORDS} inputs, exactly ${RECORDS} committed outputs, exact counts`, async () => {
    const bootstrap = inject('kafkaBootstrap')
    const run = randomUUID().slice(0, 8)
    const survivor = eosWorker(run, bootstrap)
    await survivor.app.start()
    const victim = await spawnWorker(run, bootstrap)

    // Input from a plain producer.
    const transport = await openTransport(new App(`eos-client-${run}`, { broker: `kafka://${bootstrap}` }))
    const producer = transport.createProducer()
    const truth = new Map<string, number>()
    const CHUNK = 1000
    for (let sent = 0; sent < RECORDS; sent += CHUNK) {
      const records = []
      for (let i = sent; i < Math.min(RECORDS, sent + CHUNK); i++) {
        const key = `key-${i % KEYS}`
        truth.set(key, (truth.get(key) ?? 0) + 1)
        records.push({ topic: survivor.input, key: Buffer.from(key), value: Buffer.from(JSON.stringify({ id: i })) })
      }
      await producer.send(records)
      if (sent === Math.floor(RECORDS / 2 / CHUNK) * CHUNK) {
        // Both workers busy: kill one without warning.
        await waitFor(
          async () => {
            const high = await transport.listOffsets(partitionsOf(survivor.output, EOS_PARTITIONS), {
              isolationLevel: 'read_uncommitted',
            })
            return high.reduce((n, e) => n + e.latest, 0) > RECORDS / 8
          },
          180_000,
          'outputs from both halves',
          { intervalMs: 100 },
        )
        victim.kill('SIGKILL')
      }
    }

    // The survivor takes every partition over and commits every input.
    await allCommitted(transport, survivor.app.groupId, partitionsOf(survivor.input, EOS_PARTITIONS))

    const outputs = await readToEnd(transport, partitionsOf(survivor.output, EOS_PARTITIONS))
    const ids = outputs.map((r) => (JSON.parse(r.value!.toString()) as { id: number }).id)
    const unique = new Set(ids)
    console.log(`exactly-once kill -9: ${RECORDS} inputs, ${ids.length} committed outputs, ${unique.size} distinct`)
    expect(unique.size).toBe(RECORDS) // 0 lost
    expect(ids.length).toBe(RECORDS) // 0 duplicated
    const wrong = [...truth].filter(([key, count]) => survivor.counts.get(key) !== count)
    expect(wrong).toEqual([])
    await producer.close()
    await transport.close()
    await survivor.app.stop()
  }, 400_000)
})
