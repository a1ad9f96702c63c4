// Join benchmarks on the memory transport: events/s through a stream–table join and through a windowed
// stream–stream join (its three changelogged tables included), each run from a task as docs/joins.md advises.
// `npm run bench -- joins`; BENCH_JOIN_EVENTS sets the input size (default 200,000 per side).
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appServices } from '../src/app/app.ts'
import { App, type Stream } from '../src/index.ts'
import type { BenchResult } from './tables.ts'

const EVENTS = Number(process.env.BENCH_JOIN_EVENTS ?? 200_000)
/** `memory` or `lmdb`: where the joins keep their state. */
const STORE = process.env.BENCH_JOIN_STORE ?? 'memory'
const store = () => (STORE === 'lmdb' ? `lmdb://${mkdtempSync(join(tmpdir(), 'faustus-bench-join-'))}` : 'memory://')
const KEYS = 10_000
const T0 = 1_700_000_000_000

/** An app on a fresh memory broker, its state in STORE. */
const benchApp = (id: string) =>
  new App(id, { broker: `memory://bench-join-${randomUUID()}`, logLevel: 'warn', store: store() })

/** `count` JSON records written straight into partition 0 of a topic before timing starts. */
async function fill(app: App, topic: string, count: number, offsetMs: number) {
  const producer = await appServices(app).producer()
  for (let start = 0; start < count; start += 10_000) {
    const batch = []
    for (let i = start; i < Math.min(count, start + 10_000); i++) {
      batch.push({
        topic,
        partition: 0,
        key: Buffer.from(`"k${i % KEYS}"`),
        value: Buffer.from(`${i}`),
        timestamp: T0 + i + offsetMs,
      })
    }
    await producer.send(batch)
  }
}

/** Starts the app, waits for its results, and measures from start to the last result committed. */
async function timed(app: App, name: string, inputs: number, done: Promise<void>): Promise<BenchResult[]> {
  const started = performance.now()
  const cpu = process.cpuUsage()
  await app.start()
  await done
  await app.commit()
  const seconds = (performance.now() - started) / 1000
  const { user, system } = process.cpuUsage(cpu)
  await app.stop()
  return [
    { name, value: Math.round(inputs / seconds), unit: 'events/s' },
    { name: `${name}, CPU per input`, value: Math.round(((user + system) / inputs) * 100) / 100, unit: 'µs' },
  ]
}

function counter(expected: number) {
  let seen = 0
  let finished!: () => void
  const done = new Promise<void>((resolve) => {
    finished = resolve
  })
  return { done, seen: () => ++seen === expected && finished() }
}

async function streamTable(): Promise<BenchResult[]> {
  const app = benchApp('bench-join-st')
  const names = app.topic('names', { keyType: 'json', valueType: 'json', partitions: 1 })
  const clicks = app.topic('clicks', { keyType: 'json', valueType: 'json', partitions: 1 })
  const table = app.table<string, number>('names', { partitions: 1 })
  app.agent(names, async function keep(stream: Stream<number, string>) {
    for await (const event of stream.events()) table.set(event.key, event.value)
  })
  const results = counter(EVENTS)
  app.task(async function enrich() {
    const joined = (clicks.stream() as Stream<number, string>).leftJoinTable(table, { joiner: (c, n) => c + (n ?? 0) })
    for await (const _ of joined) results.seen()
  })
  await appServices(app).runtime.connect()
  await appServices(app).runtime.ensureTopics()
  await fill(app, 'names', KEYS, 0)
  await fill(app, 'clicks', EVENTS, 0)
  return await timed(app, `stream–table left join, ${STORE} store (memory transport)`, EVENTS + KEYS, results.done)
}

async function streamStream(): Promise<BenchResult[]> {
  const app = benchApp('bench-join-ss')
  const left = app.topic('left', { keyType: 'json', valueType: 'json', partitions: 1 })
  const right = app.topic('right', { keyType: 'json', valueType: 'json', partitions: 1 })
  // Both sides carry the same keys and times (a key every KEYS ms): each left record pairs with exactly one right
  // record. The grace covers the whole input, so however the two topics interleave nothing is dropped as late.
  const results = counter(EVENTS)
  app.task(async function pair() {
    const joined = (left.stream() as Stream<number, string>).join(right.stream() as Stream<number, string>, {
      name: 'bench-pairs',
      within: 1_000,
      grace: EVENTS,
      joiner: (l, r) => l + r,
    })
    for await (const _ of joined) results.seen()
  })
  await appServices(app).runtime.connect()
  await appServices(app).runtime.ensureTopics()
  await fill(app, 'left', EVENTS, 0)
  await fill(app, 'right', EVENTS, 0)
  return await timed(
    app,
    `windowed stream–stream inner join, ${STORE} store (memory transport)`,
    2 * EVENTS,
    results.done,
  )
}

export async function joinsBenchmarks(): Promise<BenchResult[]> {
  return [...(await streamTable()), ...(await streamStream())]
}
