/**
 * The table workloads of the Faust side-by-side benchmark: a keyed count table with its changelog, and recovery
 * of a table from a changelog both runtimes read the same way (JSON keys and values, as Faust writes them).
 */
import { App, int, record, type Stream, str } from '../../src/index.ts'
import { FaustWorker, log, waitUntil } from './harness.ts'
import type { Pair, RunContext } from './workloads.ts'

const Keyed = record('bench.Keyed', { key: str(), seq: int() })
const KEYS = 10_000

function faustusApp(id: string, ctx: RunContext, options: Record<string, unknown> = {}): App {
  return new App(id, {
    broker: `kafka://${ctx.bootstrap}`,
    logLevel: 'error',
    topicPartitions: ctx.partitions,
    stopTimeoutMs: 5_000,
    revokeTimeoutMs: 5_000,
    ...options,
  })
}

/** Keyed events counted per key into a table with a changelog: events/s. */
export async function countTable(ctx: RunContext, total: number): Promise<Pair> {
  const { admin, partitions } = ctx
  const src = `${ctx.run}-count-src`
  await admin.topics([{ name: src, partitions }])
  log(`count: filling ${src} with ${total.toLocaleString('en')} keyed events over ${KEYS.toLocaleString('en')} keys`)
  await admin.fill(total, (i) => {
    const key = `key-${i % KEYS}`
    return { topic: src, key: Buffer.from(key), value: Buffer.from(JSON.stringify(new Keyed({ key, seq: i }))) }
  })

  log('count: Python Faust')
  const py = new FaustWorker(ctx.python, `${ctx.run}-count-py`, ctx.bootstrap, {
    BENCH_MODE: 'count',
    BENCH_N: String(total),
    BENCH_SRC: src,
    BENCH_PARTITIONS: String(partitions),
  })
  let python: number
  try {
    const first = await py.event<{ t: number }>('BENCH_FIRST', 120_000)
    const done = await py.event<{ t: number }>('BENCH_DONE', ctx.timeoutMs)
    python = total / (done.t - first.t) || 0
    log(`count: Python Faust ${Math.round(python)} events/s`)
  } finally {
    await py.stop()
  }

  log('count: Faustus')
  const app = faustusApp(`${ctx.run}-count-ts`, ctx)
  const counts = app.table<string, number>('counts', { default: () => 0, partitions, standbys: 0 })
  let first = 0
  let seen = 0
  let end = 0
  app.agent(app.topic(src, { valueType: Keyed }), async function count(stream: Stream<InstanceType<typeof Keyed>>) {
    for await (const value of stream) {
      if (first === 0) first = Date.now()
      counts.update(value.key, (n) => n + 1)
      if (++seen === total) end = Date.now()
    }
  })
  await app.start()
  try {
    await waitUntil(() => end > 0, ctx.timeoutMs, 'Faustus count')
    return { python, faustus: (total / (end - first)) * 1000 }
  } finally {
    await app.stop()
  }
}

/** A table recovered from N changelog records (JSON key "key-i", JSON int value): records/s. */
export async function recovery(ctx: RunContext, total: number): Promise<Pair> {
  const { admin, partitions } = ctx
  // One changelog per side (each app id names its own), filled with the same records.
  const ids = { python: `${ctx.run}-rec-py`, faustus: `${ctx.run}-rec-ts` }
  const keys = Math.max(1, Math.floor(total / 10))
  for (const id of Object.values(ids)) {
    const changelog = `${id}-recover-changelog`
    await admin.topics([{ name: changelog, partitions, config: { 'cleanup.policy': 'compact' } }])
    log(
      `recovery: filling ${changelog} with ${total.toLocaleString('en')} records over ${keys.toLocaleString('en')} keys`,
    )
    // A table update goes to the partition of the event being processed; here keys are spread round-robin.
    await admin.fill(total, (i) => ({
      topic: changelog,
      partition: (i % keys) % partitions,
      key: Buffer.from(JSON.stringify(`key-${i % keys}`)),
      value: Buffer.from(String(i)),
    }))
  }

  log('recovery: Python Faust')
  const py = new FaustWorker(ctx.python, ids.python, ctx.bootstrap, {
    BENCH_MODE: 'recovery',
    BENCH_PARTITIONS: String(partitions),
  })
  let python: number
  try {
    const done = await py.event<{ t: number; started: number; keys: number }>('BENCH_DONE', ctx.timeoutMs)
    if (done.keys !== keys) log(`recovery: Python holds ${done.keys} keys, expected ${keys}`)
    python = total / (done.t - done.started)
    log(`recovery: Python Faust ${Math.round(python)} records/s`)
  } finally {
    await py.stop()
  }

  log('recovery: Faustus')
  const app = faustusApp(ids.faustus, ctx)
  const table = app.table<string, number>('recover', { default: () => 0, partitions, standbys: 0 })
  // Timed from app.start() (connect, join, then recovery) to the last changelog record applied: the Python side is
  // timed from its partition assignment, so this is the conservative side for Faustus. (Faustus recovers before
  // the conductor hears of the assignment, so that moment cannot be taken here.)
  const started = Date.now()
  await app.start()
  try {
    const end = await waitUntil(() => table.stats.recovered >= total, ctx.timeoutMs, 'Faustus recovery')
    if (table.size !== keys) log(`recovery: Faustus holds ${table.size} keys, expected ${keys}`)
    return { python, faustus: (total / (end - started)) * 1000 }
  } finally {
    await app.stop()
  }
}
