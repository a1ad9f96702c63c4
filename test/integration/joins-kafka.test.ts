// Stream–stream join on a real broker, with kill -9 of one of two workers mid-stream. Orders are left-joined with
// payments; every order must give its result once: joined when it was paid, with null when not (emitted when its
// window closed). Exactly-once: exactly one committed result per order. At-least-once: none lost.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { App } from '../../src/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd, waitFor } from '../helpers.ts'
import { JOIN_PARTITIONS, joinWorker } from './fixtures/join-worker.ts'

const ORDERS = Number(process.env.JOIN_TEST_ORDERS ?? 2_000)
const T0 = 1_700_000_000_000
const node = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node')
const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

function spawnWorker(run: string, bootstrap: string, guarantee: string): Promise<ChildProcess> {
  const child = spawn(node, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'join-worker.ts')], {
    env: {
      ...process.env,
      RUN_JOIN_WORKER: '1',
      JOIN_RUN: run,
      JOIN_GUARANTEE: guarantee,
      FAUSTUS_TEST_KAFKA: bootstrap,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(child)
  return new Promise((resolve) => child.stdout!.on('data', (d: Buffer) => d.includes('ready') && resolve(child)))
}

/** A key of each partition: the orders that move stream time past every window, closing them. */
function closerKeys(): string[] {
  const keys: string[] = []
  for (let p = 0; p < JOIN_PARTITIONS; p++) {
    let n = 0
    while (partitionForKey(Buffer.from(`end-${n}`), JOIN_PARTITIONS) !== p) n++
    keys.push(`end-${n}`)
  }
  return keys
}

const paid = (i: number) => i % 3 !== 0

/**
 * The broker's transaction coordinator loads on first use, slowly on a busy machine (NOT_COORDINATOR for a while):
 * one transaction through it before the workers start theirs.
 */
async function warmTransactions(bootstrap: string, run: string): Promise<void> {
  const client = new App(`join-warm-${run}`, { broker: `kafka://${bootstrap}`, logLevel: 'error' })
  const transport = await openTransport(client)
  await transport.ensureTopics([{ name: `join-warm-${run}`, partitions: 1 }])
  try {
    let ready = false
    await waitFor(
      async () => {
        if (ready) return true
        const producer = transport.createTransactionalProducer({ transactionalId: `join-warm-${run}-${randomUUID()}` })
        try {
          await producer.send([{ topic: `join-warm-${run}`, key: null, value: Buffer.from('warm') }])
          await producer.commit()
          ready = true
        } catch {
          ready = false
        } finally {
          await producer.close()
        }
        return ready
      },
      180_000,
      'a first transaction',
      { intervalMs: 100 },
    )
  } finally {
    await transport.close()
  }
}

async function runKill(guarantee: 'exactly_once' | 'at_least_once') {
  const bootstrap = inject('kafkaBootstrap')
  const run = randomUUID().slice(0, 8)
  if (guarantee === 'exactly_once') await warmTransactions(bootstrap, run)
  const survivor = joinWorker(run, bootstrap, guarantee)
  await survivor.app.start()
  const victim = process.env.JOIN_TEST_NO_KILL === '1' ? undefined : await spawnWorker(run, bootstrap, guarantee)
  const client = new App(`join-client-${run}`, { broker: `kafka://${bootstrap}`, logLevel: 'warn' })
  const transport = await openTransport(client)
  const producer = transport.createProducer()
  const CHUNK = 500
  const record = (topic: string, key: string, id: number, timestamp: number) => ({
    topic,
    key: Buffer.from(key),
    value: Buffer.from(JSON.stringify({ id })),
    timestamp,
  })
  for (let sent = 0; sent < ORDERS; sent += CHUNK) {
    const records = []
    for (let i = sent; i < Math.min(ORDERS, sent + CHUNK); i++) {
      const time = T0 + (i % 1000)
      records.push(record(survivor.orders, `k-${i}`, i, time))
      if (paid(i)) records.push(record(survivor.payments, `k-${i}`, i, time + 1000))
    }
    await producer.send(records)
    if (victim !== undefined && sent === Math.floor(ORDERS / 2 / CHUNK) * CHUNK) {
      await waitFor(
        async () => {
          const high = await transport.listOffsets(partitionsOf(survivor.output, JOIN_PARTITIONS), {
            isolationLevel: 'read_uncommitted',
          })
          return high.reduce((n, e) => n + e.latest, 0) > ORDERS / 8
        },
        240_000,
        'results from both workers',
        { intervalMs: 100 },
      )
      victim?.kill('SIGKILL')
    }
  }
  await allCommitted(
    transport,
    survivor.app.groupId,
    [survivor.orders, survivor.payments].flatMap((topic) => partitionsOf(topic, JOIN_PARTITIONS)),
  )
  // Stream time past every window (and its grace) in every partition: the unpaid orders' results go out.
  await producer.send(closerKeys().map((key) => record(survivor.orders, key, -1, T0 + 3_600_000)))
  await allCommitted(
    transport,
    survivor.app.groupId,
    [survivor.orders, survivor.payments].flatMap((topic) => partitionsOf(topic, JOIN_PARTITIONS)),
  )
  const outputs = await readToEnd(transport, partitionsOf(survivor.output, JOIN_PARTITIONS))
  await producer.close()
  await transport.close()
  await survivor.app.stop()
  return outputs.map((r) => JSON.parse(r.value!.toString()) as { key: string; left: number; right: number | null })
}

function expected(): string[] {
  return Array.from({ length: ORDERS }, (_, i) => JSON.stringify({ key: `k-${i}`, left: i, right: paid(i) ? i : null }))
}

describe('stream–stream join on Kafka', () => {
  it(`exactly-once, kill -9 of one of two workers: one committed result per order (${ORDERS} orders)`, async () => {
    const results = (await runKill('exactly_once')).map((r) => JSON.stringify(r))
    const unique = new Set(results)
    console.log(`join exactly-once kill -9: ${ORDERS} orders, ${results.length} results, ${unique.size} distinct`)
    expect([...unique].sort()).toEqual(expected().sort()) // 0 lost, none wrong
    expect(results.length).toBe(ORDERS) // 0 duplicated
  }, 600_000)

  it(`at-least-once, kill -9 of one of two workers: no result lost (${ORDERS} orders)`, async () => {
    const results = (await runKill('at_least_once')).map((r) => JSON.stringify(r))
    const unique = new Set(results)
    console.log(`join at-least-once kill -9: ${ORDERS} orders, ${results.length} results, ${unique.size} distinct`)
    expect([...unique].sort()).toEqual(expected().sort())
  }, 600_000)
})
