import { randomUUID } from 'node:crypto'
import { appServices } from '../src/app/app.ts'
import { App, type Stream, type Topic } from '../src/index.ts'
import { memoryBrokers } from '../src/transport/memory/registry.ts'

export interface BenchResult {
  name: string
  value: number
  unit: string
  target?: { atLeast?: number; atMost?: number }
}

/** Issue 16: a passthrough agent on the memory transport. */
const PASSTHROUGH_TARGET = 1_500_000

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)

/** Broker names of the apps made so far: each figure's broker is forgotten after it, see `forgetBrokers`. */
const brokers: string[] = []

function newApp(id: string): App {
  const broker = `bench-${randomUUID()}`
  brokers.push(broker)
  return new App(id, { broker: `memory://${broker}`, logLevel: 'warn', topicPartitions: 1 })
}

/**
 * Drops the finished figures' brokers from the process-wide registry: a broker holds every record of its topics,
 * and a million records kept alive by an earlier figure would be garbage-collected (marked, again and again) on the
 * time of the next one.
 */
function forgetBrokers(): void {
  for (const name of brokers.splice(0)) memoryBrokers.delete(name)
}

/** Writes `count` records of 100 bytes straight into the topic's log, in big batches, before timing starts. */
async function fill(app: App, topic: string, count: number, payloadOf: (i: number) => Buffer): Promise<void> {
  const producer = await appServices(app).producer()
  const batch = 10_000
  for (let start = 0; start < count; start += batch) {
    const records = []
    for (let i = start; i < Math.min(count, start + batch); i++) records.push({ topic, key: null, value: payloadOf(i) })
    await producer.send(records)
  }
}

/** The agent shapes measured here: iterating its stream, yielding to a function sink, yielding to a topic sink. */
export type AgentShape = 'pass' | 'fn' | 'topic'

/** Adds an agent of `shape` over `topic` that calls `count` once per event (the topic sink: after the yield). */
export function benchAgent(
  app: App,
  topic: Topic<unknown, unknown>,
  shape: AgentShape,
  count: () => void,
  valueType: 'raw' | 'json' = 'raw',
): void {
  if (shape === 'topic') {
    // The passthrough of the Kafka benchmark: each value goes to an output topic (counted once the agent's sink has
    // handed it to the outputs, i.e. when the generator resumes after its yield).
    const output = app.topic('output', { valueType, partitions: 1 })
    app.agent(
      topic,
      async function* toTopic(stream: Stream<unknown>) {
        for await (const value of stream) {
          yield value
          count()
        }
      },
      { sink: [output] },
    )
  } else if (shape === 'fn') {
    app.agent(
      topic,
      async function* yielder(stream: Stream<unknown>) {
        for await (const value of stream) yield value
      },
      { sink: [count] },
    )
  } else {
    app.agent(topic, async function passthrough(stream: Stream<unknown>) {
      for await (const _ of stream) count()
    })
  }
}

async function throughput(name: string, valueType: 'raw' | 'json', shape: AgentShape): Promise<BenchResult[]> {
  const app = newApp(`bench-${name}`)
  const topic = app.topic('input', { valueType, partitions: 1 })
  let seen = 0
  let finished!: () => void
  const allSeen = new Promise<void>((resolve) => {
    finished = resolve
  })
  benchAgent(
    app,
    topic,
    shape,
    () => {
      if (++seen === RECORDS) finished()
    },
    valueType,
  )
  await appServices(app).runtime.connect()
  await appServices(app).runtime.ensureTopics()
  const payload = Buffer.from(JSON.stringify({ id: 0, text: 'x'.repeat(80) }))
  await fill(app, 'input', RECORDS, () => payload)
  const started = performance.now()
  const cpu = process.cpuUsage()
  await app.start()
  await allSeen
  const seconds = (performance.now() - started) / 1000
  const { user, system } = process.cpuUsage(cpu)
  await app.stop()
  forgetBrokers()
  const target = valueType === 'raw' && shape === 'pass' ? { atLeast: PASSTHROUGH_TARGET } : undefined
  return [
    { name, value: Math.round(RECORDS / seconds), unit: 'events/s', target },
    // CPU time of the process: steadier than events/s on a shared machine.
    { name: '  CPU per event', value: Number(((user + system) / RECORDS).toFixed(3)), unit: 'µs' },
  ]
}

async function askRoundTrips(): Promise<BenchResult> {
  const app = newApp('bench-ask')
  const echo = app.agent(async function* echo(stream: Stream<number>) {
    for await (const value of stream) yield value
  })
  await app.start()
  const total = 20_000
  const started = performance.now()
  // Sequential asks measure latency-bound round trips; join measures pipelined ones.
  for (let i = 0; i < 2_000; i++) await echo.ask(i)
  const sequential = 2_000 / ((performance.now() - started) / 1000)
  const values = Array.from({ length: total }, (_, i) => i)
  const t1 = performance.now()
  await echo.join(values)
  const pipelined = total / ((performance.now() - t1) / 1000)
  await app.stop()
  forgetBrokers()
  return {
    name: `ask round trips (sequential ${Math.round(sequential)}/s; pipelined with join)`,
    value: Math.round(pipelined),
    unit: 'asks/s',
  }
}

export async function memoryBenchmarks(): Promise<BenchResult[]> {
  // BENCH_MEMORY_ONLY=passthrough runs the raw passthrough alone (for profiles and before/after runs).
  const raw = await throughput('passthrough agent, raw values', 'raw', 'pass')
  if (process.env.BENCH_MEMORY_ONLY === 'passthrough') return raw
  return [
    ...raw,
    ...(await throughput('passthrough agent, JSON values', 'json', 'pass')),
    ...(await throughput('yielding agent with a sink, raw values', 'raw', 'fn')),
    ...(await throughput('yielding agent with a topic sink, raw values', 'raw', 'topic')),
    await askRoundTrips(),
  ]
}
