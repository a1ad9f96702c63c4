/**
 * Profiles one agent shape on the memory transport (issue 16: where a record's time and bytes go).
 *
 *   npx tsx bench/profile-agent.ts <shapes> [runs]
 *
 * `shapes` is a comma-separated list of `pass` (an agent iterating its stream), `fn` (an async generator yielding
 * each value to a function sink) and `topic` (the same, to a topic sink: the Kafka benchmark's passthrough). Each
 * run prints events/s, CPU µs per event, garbage collections and bytes allocated per event (from V8's heap
 * statistics: unlike CPU time, it does not move when other work shares the machine). `PROFILE=cpu` writes a CPU
 * profile of the last run to `PROFILE_DIR` (default the system temp dir) as `<shape>.cpuprofile`; `PROFILE=heap`
 * writes a sampling heap profile of every allocation (collected or not) as `<shape>.heapprofile`. Both open in
 * Chrome DevTools; `bench/profile-summary.ts` prints their top functions.
 */
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import { appServices } from '../src/app/app.ts'
import { App } from '../src/index.ts'
import { memoryBrokers } from '../src/transport/memory/registry.ts'
import { type AgentShape, benchAgent } from './memory.ts'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 1_000_000)
const PROFILE = process.env.PROFILE
const PROFILE_DIR = process.env.PROFILE_DIR ?? tmpdir()

type Shape = AgentShape

async function run(shape: Shape, profile: boolean): Promise<number> {
  const broker = `profile-${randomUUID()}`
  const app = new App(`profile-${shape}`, { broker: `memory://${broker}`, logLevel: 'warn', topicPartitions: 1 })
  const input = app.topic('input', { valueType: 'raw', partitions: 1 })
  let seen = 0
  let finished!: () => void
  const allSeen = new Promise<void>((resolve) => {
    finished = resolve
  })
  benchAgent(app, input, shape, () => {
    if (++seen === RECORDS) finished()
  })
  const services = appServices(app)
  await services.runtime.connect()
  await services.runtime.ensureTopics()
  const producer = await services.producer()
  const payload = Buffer.from(JSON.stringify({ id: 0, text: 'x'.repeat(80) }))
  for (let start = 0; start < RECORDS; start += 10_000) {
    const records = []
    for (let i = start; i < Math.min(RECORDS, start + 10_000); i++)
      records.push({ topic: 'input', key: null, value: payload })
    await producer.send(records)
  }

  let session: Session | undefined
  if (profile) {
    session = new Session()
    session.connect()
    if (PROFILE === 'heap') {
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 256,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      })
    } else {
      await session.post('Profiler.enable')
      await session.post('Profiler.setSamplingInterval', { interval: 100 })
      await session.post('Profiler.start')
    }
  }
  let gcMs = 0
  let gcs = 0
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcMs += entry.duration
      gcs++
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  const started = performance.now()
  const cpu = process.cpuUsage()
  const allocatedBefore = getHeapStatistics().total_allocated_bytes
  await app.start()
  await allSeen
  const seconds = (performance.now() - started) / 1000
  const { user, system } = process.cpuUsage(cpu)
  const allocated = (getHeapStatistics().total_allocated_bytes - allocatedBefore) / RECORDS
  if (session !== undefined) {
    const file = join(PROFILE_DIR, `${shape}.${PROFILE === 'heap' ? 'heapprofile' : 'cpuprofile'}`)
    const { profile: data } =
      PROFILE === 'heap' ? await session.post('HeapProfiler.stopSampling') : await session.post('Profiler.stop')
    writeFileSync(file, JSON.stringify(data))
    session.disconnect()
    console.log(`wrote ${file}`)
  }
  await app.stop()
  observer.disconnect()
  memoryBrokers.delete(broker)
  const cpuPerEvent = (user + system) / RECORDS
  console.log(
    `${shape}: ${Math.round(RECORDS / seconds)} events/s, CPU ${cpuPerEvent.toFixed(3)} µs/event, ` +
      `${gcs} GCs (${((gcMs * 1000) / RECORDS).toFixed(3)} µs/event), ${allocated.toFixed(0)} B/event allocated`,
  )
  return cpuPerEvent
}

const shapes = (process.argv[2] ?? 'fn').split(',') as Shape[]
const runs = Number(process.argv[3] ?? 3)
for (const shape of shapes) {
  if (!['pass', 'fn', 'topic'].includes(shape)) throw new Error(`unknown shape "${shape}" (pass, fn, topic)`)
  const cpus: number[] = []
  for (let i = 0; i < runs; i++) cpus.push(await run(shape, PROFILE !== undefined && i === runs - 1))
  // The first run warms the JIT up; the others are the ones to read.
  const timed = runs > 1 ? cpus.slice(1).sort((a, b) => a - b) : cpus
  console.log(
    `${shape}: CPU µs/event min ${timed[0].toFixed(3)}, median ${timed[Math.floor(timed.length / 2)].toFixed(3)}`,
  )
}
process.exit(0)
