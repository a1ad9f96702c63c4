/**
 * The four workloads of the Faust side-by-side benchmark, each run by a Python Faust worker and by a Faustus app
 * on the same broker and the same input data. Every throughput is timed from the worker's first event to the
 * moment its work is visible (output records in the topic, or the last event counted), so start-up costs of
 * either runtime (Python imports, group joins) are left out of both.
 */
import { App, type Stream } from '../../src/index.ts'
import { type Admin, FaustWorker, log, waitUntil } from './harness.ts'

export interface Pair {
  python: number
  faustus: number
}

export interface RunContext {
  admin: Admin
  bootstrap: string
  python: string
  /** Unique per run, so reruns on one broker never meet old topics or groups. */
  run: string
  partitions: number
  timeoutMs: number
}

const VALUE = Buffer.alloc(100, 'x')

function faustusApp(id: string, ctx: RunContext, options: Record<string, unknown> = {}): App {
  return new App(id, {
    broker: `kafka://${ctx.bootstrap}`,
    logLevel: 'error',
    topicPartitions: ctx.partitions,
    stopTimeoutMs: 2_000,
    revokeTimeoutMs: 2_000,
    ...options,
  })
}

/** Stateless passthrough: N records of 100 bytes from one topic to another, records/s. */
export async function passthrough(ctx: RunContext, total: number): Promise<Pair> {
  const { admin, partitions } = ctx
  const src = `${ctx.run}-pass-src`
  const names = { python: `${ctx.run}-pass-py-dst`, faustus: `${ctx.run}-pass-ts-dst` }
  await admin.topics([src, names.python, names.faustus].map((name) => ({ name, partitions })))
  log(`passthrough: filling ${src} with ${total.toLocaleString('en')} records`)
  await admin.fill(total, () => ({ topic: src, key: null, value: VALUE }))
  const done = (dst: string) => async () => (await admin.written(dst, partitions)) >= total

  log('passthrough: Python Faust')
  const py = new FaustWorker(ctx.python, `${ctx.run}-pass-py`, ctx.bootstrap, {
    BENCH_MODE: 'passthrough',
    BENCH_N: String(total),
    BENCH_SRC: src,
    BENCH_DST: names.python,
    BENCH_PARTITIONS: String(partitions),
  })
  let python: number
  try {
    const first = await py.event<{ t: number }>('BENCH_FIRST', 120_000)
    const end = await waitUntil(done(names.python), ctx.timeoutMs, 'Python passthrough output')
    python = (total / (end - first.t * 1000)) * 1000
    log(`passthrough: Python Faust ${Math.round(python)} records/s`)
  } finally {
    await py.stop()
  }

  log('passthrough: Faustus')
  const app = faustusApp(`${ctx.run}-pass-ts`, ctx)
  const input = app.topic(src, { valueType: 'raw' })
  const output = app.topic(names.faustus, { valueType: 'raw' })
  let first = 0
  app.agent(
    input,
    async function* passthrough(stream: Stream<unknown>) {
      for await (const value of stream) {
        if (first === 0) first = Date.now()
        yield value
      }
    },
    { sink: [output] },
  )
  await app.start()
  try {
    const end = await waitUntil(done(names.faustus), ctx.timeoutMs, 'Faustus passthrough output')
    return { python, faustus: (total / (end - first)) * 1000 }
  } finally {
    await app.stop()
  }
}

export interface Latency {
  p50: number
  p99: number
  /** Asks that got no reply within the deadline (left out of the percentiles). */
  timeouts?: number
  /** Asks measured (Python Faust may stop early, see bench_worker.py). */
  n?: number
}

/**
 * Sequential ask round trips to an agent that echoes, p50 and p99 in ms: Python Faust (its defaults: producer
 * linger 0), Faustus with its defaults (producer linger 5 ms, which batches better and costs each hop up to 5 ms),
 * and Faustus with linger 0 as Faust.
 */
export async function askLatency(
  ctx: RunContext,
  count: number,
): Promise<{ python: Latency; faustus: Latency; faustusLinger0: Latency }> {
  const { admin } = ctx
  const topics = [`${ctx.run}-ask-py`, `${ctx.run}-ask-ts`, `${ctx.run}-ask-ts0`]
  await admin.topics(topics.map((name) => ({ name, partitions: 1 })))

  log(`ask: Python Faust, ${count.toLocaleString('en')} asks`)
  const py = new FaustWorker(ctx.python, `${ctx.run}-ask-py`, ctx.bootstrap, {
    BENCH_MODE: 'ask',
    BENCH_N: String(count),
    BENCH_SRC: topics[0],
  })
  let python: Latency
  try {
    python = await py.event<Latency>('BENCH_DONE', ctx.timeoutMs)
    log(
      `ask: Python Faust p50 ${python.p50.toFixed(2)} ms, p99 ${python.p99.toFixed(2)} ms, ${python.timeouts} timeouts`,
    )
  } finally {
    await py.stop()
  }
  log(`ask: Faustus, ${count.toLocaleString('en')} asks`)
  const faustus = await faustusAsks(ctx, topics[1], count, {})
  log(`ask: Faustus with producerLingerMs 0, ${count.toLocaleString('en')} asks`)
  const faustusLinger0 = await faustusAsks(ctx, topics[2], count, { producerLingerMs: 0 })
  return { python, faustus, faustusLinger0 }
}

async function faustusAsks(
  ctx: RunContext,
  topic: string,
  count: number,
  options: Record<string, unknown>,
): Promise<Latency> {
  const app = faustusApp(`${topic}-app`, ctx, options)
  const echo = app.agent(
    app.topic(topic, { valueType: 'json', partitions: 1 }),
    async function* echo(stream: Stream<unknown>) {
      for await (const value of stream) yield value
    },
  )
  await app.start()
  try {
    for (let i = 0; i < 50; i++) await echo.ask(i) // warm up, as the Python side does
    const latencies: number[] = []
    for (let i = 0; i < count; i++) {
      const started = performance.now()
      await echo.ask(i)
      latencies.push(performance.now() - started)
    }
    latencies.sort((a, b) => a - b)
    return {
      p50: latencies[Math.floor(latencies.length / 2)],
      p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))],
    }
  } finally {
    await app.stop()
  }
}
