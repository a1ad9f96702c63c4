// Tumbling, hopping and sliding windowed tables on a real broker with LMDB state: the same app over the same input
// on the memory transport is the reference. Tumbling windows (grace 0) send final results; hopping and sliding
// windows (no grace, Faust's behaviour) keep every window. Then a new worker with an empty store directory rebuilds
// the windows from their changelogs, and a third one on the first worker's directory replays only the tail: both
// must hold the same windows. The unit tests (memory transport) cover the window arithmetic in detail.
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, inject, it } from 'vitest'
import { App, type FinalResult, type Stream } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd } from '../helpers.ts'

const PARTITIONS = 3

interface View {
  page: string
  partition: number
  timestamp: number
}

function windowsWorker(run: string, broker: string, store: string) {
  const app = new App(`win-kinds-${run}`, { broker, store, logLevel: 'warn', topicPartitions: PARTITIONS })
  const input = app.topic(`win-views-${run}`, { keyType: 'json', valueType: 'json' })
  const finals = app.topic(`win-finals-${run}`, { keyType: 'json', valueType: 'json' })
  const expires = 24 * 3_600_000
  const tumbling = app
    .table<string, number>('tumbling', { default: () => 0 })
    .tumbling(10_000, { expires, grace: 0 })
    .finalResults(finals)
  const hopping = app.table<string, number>('hopping', { default: () => 0 }).hopping(10_000, 5_000, { expires })
  const sliding = app.table<string, number>('sliding', { default: () => 0 }).sliding(2_000, 2_000, { expires })
  app.agent(input, async function count(stream: Stream<string, string>) {
    for await (const page of stream) {
      tumbling.update(page, (n) => n + 1)
      hopping.update(page, (n) => n + 1)
      sliding.update(page, (n) => n + 1)
    }
  })
  /** Every window held, as `key start end value` lines, sorted. */
  const held = () =>
    [hopping, sliding].flatMap((table) =>
      [...table.windows()].map(([key, range, value]) => `${table.name} ${key} ${range.start} ${range.end} ${value}`),
    )
  return { app, input, finals, held }
}

/** The partition of a key, as the table's (murmur2 over the key's JSON). */
const partitionOf = (key: string) => partitionForKey(Buffer.from(JSON.stringify(key)), PARTITIONS)

/** Views of 12 pages, in time order, several per second. */
function views(now: number): View[] {
  const out: View[] = []
  for (let i = 0; i < 1_500; i++) {
    const page = `page-${(i * 7) % 12}`
    out.push({ page, partition: partitionOf(page), timestamp: now + i * 150 + (i % 4) * 20 })
  }
  // One record per partition far ahead: stream time passes the end of every tumbling window of the pages.
  const last = out[out.length - 1].timestamp
  const flushed = new Set<number>()
  for (let i = 0; flushed.size < PARTITIONS; i++) {
    const partition = partitionOf(`flush-${i}`)
    if (flushed.has(partition)) continue
    flushed.add(partition)
    out.push({ page: `flush-${i}`, partition, timestamp: last + 60_000 })
  }
  return out
}

type Final = string
const finalOf = (key: string, value: FinalResult<number>): Final => `${key} ${value.start} ${value.end} ${value.value}`
const sorted = (lines: string[]) => [...lines].sort()

it('tumbling (final results), hopping and sliding windows on Kafka, rebuilt from their changelogs', async () => {
  const bootstrap = inject('kafkaBootstrap')
  const run = randomUUID().slice(0, 8)
  const input = views(Date.now() - 3_600_000)

  const reference = windowsWorker(run, `memory://win-ref-${run}`, 'memory://')
  const driver = await new TestDriver(reference.app).start()
  let expectedFinals: Final[]
  let expectedHeld: string[]
  try {
    for (const view of input) await driver.send(reference.input, { key: view.page, value: view.page, ...view })
    await driver.idle()
    expectedFinals = driver
      .records<FinalResult<number>, string>(reference.finals.name)
      .map((r) => finalOf(r.key as string, r.value))
    expectedHeld = sorted(reference.held())
  } finally {
    await driver.stop()
  }
  expect(expectedFinals.length).toBeGreaterThan(100)
  expect(expectedHeld.length).toBeGreaterThan(1_000)

  const broker = `kafka://${bootstrap}`
  const client = new App(`win-client-${run}`, { broker, logLevel: 'warn' })
  const transport = await openTransport(client)
  const producer = transport.createProducer()
  const firstStore = `lmdb://${mkdtempSync(join(tmpdir(), 'faustus-win-'))}`
  try {
    const inputPartitions = partitionsOf(`win-views-${run}`, PARTITIONS)
    const first = windowsWorker(run, broker, firstStore)
    await first.app.start()
    try {
      await producer.send(
        input.map((v) => ({
          topic: first.input.name,
          partition: v.partition,
          timestamp: v.timestamp,
          key: Buffer.from(JSON.stringify(v.page)),
          value: Buffer.from(JSON.stringify(v.page)),
        })),
      )
      await allCommitted(transport, first.app.groupId, inputPartitions)
      expect(sorted(first.held())).toEqual(expectedHeld)
    } finally {
      await first.app.stop()
    }
    const finals = (await readToEnd(transport, partitionsOf(`win-finals-${run}`, PARTITIONS))).map((r) =>
      finalOf(JSON.parse(r.key!.toString()), JSON.parse(r.value!.toString())),
    )
    expect(sorted(finals)).toEqual(sorted(expectedFinals))

    for (const store of [`lmdb://${mkdtempSync(join(tmpdir(), 'faustus-win-'))}`, firstStore]) {
      const next = windowsWorker(run, broker, store)
      await next.app.start()
      try {
        // The empty store replays whole changelogs; the first worker's store (flushed at its stop) replays nothing.
        if (store === firstStore) expect(next.app.lastRecovery.records).toBe(0)
        else expect(next.app.lastRecovery.records).toBeGreaterThan(expectedHeld.length)
        expect(sorted(next.held())).toEqual(expectedHeld)
      } finally {
        await next.app.stop()
      }
    }
  } finally {
    await producer.close()
    await transport.close()
  }
}, 300_000)
