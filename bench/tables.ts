// Table benchmarks: updates/s through an agent with the changelog on (memory and LMDB stores), and recovery
// records/s from a changelog of 1M records into LMDB. Runs on the memory transport (said in each name).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { appServices } from '../src/app/app.ts'
import { App, type Stream } from '../src/index.ts'

export interface BenchResult {
  name: string
  value: number
  unit: string
  target?: { atLeast?: number; atMost?: number }
}

/** Issue 16: table updates with changelog on the memory transport, per store. */
const TARGETS = { memory: 500_000, lmdb: 300_000 }

const UPDATES = Number(process.env.BENCH_TABLE_UPDATES ?? 1_000_000)
const CHANGELOG = Number(process.env.BENCH_CHANGELOG_RECORDS ?? 1_000_000)
const KEYS = 10_000

function newApp(id: string, broker: string, store: string): App {
  const app = new App(id, { broker, store, logLevel: 'warn', topicPartitions: 1 })
  return app
}

/** Records written straight into a topic's log before timing starts. */
async function fill(app: App, topic: string, count: number, record: (i: number) => { key: Buffer; value: Buffer }) {
  const producer = await appServices(app).producer()
  for (let start = 0; start < count; start += 10_000) {
    const batch = []
    for (let i = start; i < Math.min(count, start + 10_000); i++) batch.push({ topic, partition: 0, ...record(i) })
    await producer.send(batch)
  }
}

const WORDS = Array.from({ length: KEYS }, (_, i) => ({
  key: Buffer.from(`word-${i}`),
  value: Buffer.from(JSON.stringify(`word-${i}`)),
}))

/** Called around the timed part of a round, so a profiler can leave out the set-up (bench/profile-tables.ts). */
export const timedHooks: { started?: () => Promise<void>; ended?: () => Promise<void> } = {}

async function updates(storeName: 'memory' | 'lmdb'): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), 'faustus-bench-'))
  const store = storeName === 'memory' ? 'memory://' : `lmdb://${dir}`
  const app = newApp('bench-tables', `memory://bench-tables-${randomUUID()}`, store)
  const words = app.topic('words', { valueType: 'json', partitions: 1 })
  const counts = app.table<string, number>('counts', { default: () => 0, partitions: 1 })
  let seen = 0
  let finished!: () => void
  const allSeen = new Promise<void>((resolve) => {
    finished = resolve
  })
  app.agent(words, async function count(stream: Stream<string>) {
    for await (const word of stream) {
      counts.update(word, (n) => n + 1)
      if (++seen === UPDATES) finished()
    }
  })
  await appServices(app).runtime.connect()
  await appServices(app).runtime.ensureTopics()
  await fill(app, 'words', UPDATES, (i) => WORDS[i % KEYS])
  await timedHooks.started?.()
  const started = performance.now()
  const cpu = process.cpuUsage()
  await app.start()
  await allSeen
  // The changelog is part of the work: everything written and flushed (and the LMDB batch committed).
  await app.commit()
  const seconds = (performance.now() - started) / 1000
  const { user, system } = process.cpuUsage(cpu)
  await timedHooks.ended?.()
  await app.stop()
  rmSync(dir, { recursive: true, force: true })
  return [
    {
      name: `table updates through an agent, changelog on, ${storeName} store (memory transport)`,
      value: Math.round(UPDATES / seconds),
      unit: 'updates/s',
      target: { atLeast: TARGETS[storeName] },
    },
    {
      // CPU time of the process (every thread): steadier than updates/s on a shared machine.
      name: `  CPU per update, ${storeName} store`,
      value: Number(((user + system) / UPDATES).toFixed(2)),
      unit: 'µs',
    },
  ]
}

/** Recovery from a changelog on `broker`: the memory transport, or Kafka when FAUSTUS_TEST_KAFKA is set. */
async function recovery(kafka?: string): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'faustus-bench-'))
  const broker = kafka === undefined ? `memory://bench-recovery-${randomUUID()}` : `kafka://${kafka}`
  const id = kafka === undefined ? 'bench-recovery' : `bench-recovery-${randomUUID().slice(0, 8)}`
  const seed = newApp(id, broker, 'memory://')
  seed.table('counts', { partitions: 1 })
  await appServices(seed).runtime.connect()
  await appServices(seed).runtime.ensureTopics()
  await fill(seed, `${id}-counts-changelog`, CHANGELOG, (i) => ({
    key: Buffer.from(JSON.stringify(`key-${i % 100_000}`)),
    value: Buffer.from(String(i)),
  }))
  await (await appServices(seed).producer()).flush()
  const app = newApp(id, broker, `lmdb://${dir}`)
  app.table('counts', { partitions: 1 })
  app.agent(app.topic(`${id}-input`, { partitions: 1 }), async function idle(stream: Stream<unknown>) {
    for await (const _ of stream) {
    }
  })
  await app.start()
  const { records, durationMs } = app.lastRecovery
  await app.stop()
  await appServices(seed).runtime.close()
  rmSync(dir, { recursive: true, force: true })
  return {
    name: `recovery of ${records.toLocaleString('en-US')} changelog records into LMDB (${kafka ? 'Kafka' : 'memory transport'})`,
    value: Math.round(records / (durationMs / 1000)),
    unit: 'records/s',
  }
}

const ROUNDS = Number(process.env.BENCH_TABLE_ROUNDS ?? 3)

/**
 * The update benchmark run ROUNDS times (a fresh app each): its median round, and the spread of the rounds. One
 * round lasts 2-3 s, short enough for a GC cycle or a neighbour's burst to move it by a third on this machine.
 */
async function medianUpdates(storeName: 'memory' | 'lmdb'): Promise<BenchResult[]> {
  const rounds: BenchResult[][] = []
  for (let i = 0; i < ROUNDS; i++) rounds.push(await updates(storeName))
  rounds.sort((a, b) => a[0].value - b[0].value)
  const median = rounds[Math.floor(rounds.length / 2)]
  const spread = rounds.map((round) => round[0].value.toLocaleString('en-US')).join(', ')
  return [
    { ...median[0], name: `${median[0].name}, median of ${ROUNDS}` },
    median[1],
    {
      name: `  rounds, ${storeName} store: ${spread}`,
      value: rounds.length,
      unit: 'rounds',
    },
  ]
}

export async function tablesBenchmarks(): Promise<BenchResult[]> {
  // BENCH_TABLE_STORES=memory (or lmdb) runs the update benchmark of one store only, and no recovery: for profiles.
  const only = process.env.BENCH_TABLE_STORES
  if (only === 'memory' || only === 'lmdb') return updates(only)
  const results = [...(await medianUpdates('memory')), ...(await medianUpdates('lmdb')), await recovery()]
  // On a broker too when one is given (`FAUSTUS_TEST_KAFKA=host:port`, as the integration tests use).
  const kafka = process.env.FAUSTUS_TEST_KAFKA
  if (kafka) results.push(await recovery(kafka))
  return results
}

if (process.argv[1]?.endsWith('tables.ts')) {
  for (const result of await tablesBenchmarks()) console.log(`${result.name.padEnd(90)} ${result.value} ${result.unit}`)
}
