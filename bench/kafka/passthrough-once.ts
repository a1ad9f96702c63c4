/**
 * One Faustus passthrough run in its own process, for profiling and for timing whole processes (`/usr/bin/time -v`,
 * `node --cpu-prof`): `node --import tsx bench/kafka/passthrough-once.ts fill|run`.
 *   fill: creates BENCH_INPUT (BENCH_PARTITIONS partitions) and writes BENCH_RECORDS records of 100 bytes to it.
 *   raw:  the raw client's consume + produce loop over BENCH_INPUT (bench/kafka/raw.ts), printed the same way.
 *   run:  a passthrough agent from BENCH_INPUT to a fresh output topic (fresh group), timed until the output holds
 *         BENCH_RECORDS records; prints events/s, CPU µs per record and peak RSS of the process, then deletes the output.
 * The broker is FAUSTUS_TEST_KAFKA (host:port), already running.
 */
import { randomUUID } from 'node:crypto'
import { agentPassthrough } from './agent.ts'
import { BenchAdmin, perSecond, withCpu } from './common.ts'
import { fill, rawCopy } from './raw.ts'

const bootstrap = process.env.FAUSTUS_TEST_KAFKA
const RECORDS = Number(process.env.BENCH_RECORDS ?? 500_000)
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6)
const INPUT = process.env.BENCH_INPUT ?? `bench-passthrough-input-${RECORDS}`
if (!bootstrap) throw new Error('set FAUSTUS_TEST_KAFKA to a running broker (host:port)')

const admin = new BenchAdmin(bootstrap, PARTITIONS)
const mode = process.argv[2]
if (mode === 'fill') {
  await admin.create([INPUT])
  const already = await admin.endOffset(INPUT)
  if (already < RECORDS) await fill(bootstrap, INPUT, RECORDS - already, PARTITIONS)
  console.log(`${INPUT}: ${await admin.endOffset(INPUT)} records`)
  await admin.close([])
} else if (mode === 'run') {
  const sink = `bench-passthrough-out-${randomUUID().slice(0, 8)}`
  await admin.create([sink])
  // What the peak RSS is made of: the largest of each part of process.memoryUsage() seen during the run.
  const peaks = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 }
  const sampler = setInterval(() => {
    const usage = process.memoryUsage()
    for (const key of Object.keys(peaks) as (keyof typeof peaks)[]) peaks[key] = Math.max(peaks[key], usage[key])
  }, 50)
  const { result: run, cpuMicros } = await withCpu(() =>
    agentPassthrough({ bootstrap, admin, source: INPUT, sink, total: RECORDS, timeoutMs: 120_000, mode: 'topic' }),
  )
  const line = {
    records: run.count,
    ms: Math.round(run.ms),
    eventsPerSecond: perSecond(run.count, run.ms),
    cpuMicrosPerRecord: Number((cpuMicros / Math.max(1, run.count)).toFixed(2)),
    peakRssMb: run.peakRssMb,
    timedOut: run.timedOut,
    peakMb: Object.fromEntries(Object.entries(peaks).map(([key, bytes]) => [key, Math.round(bytes / 2 ** 20)])),
  }
  clearInterval(sampler)
  console.log(JSON.stringify(line))
  await admin.close([sink])
} else if (mode === 'raw') {
  const sink = `bench-passthrough-raw-${randomUUID().slice(0, 8)}`
  await admin.create([sink])
  let peakRss = process.memoryUsage.rss()
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
  }, 50)
  const { result: ms, cpuMicros } = await withCpu(() => rawCopy(bootstrap, INPUT, sink, RECORDS))
  clearInterval(sampler)
  const line = {
    records: RECORDS,
    ms: Math.round(ms),
    eventsPerSecond: perSecond(RECORDS, ms),
    cpuMicrosPerRecord: Number((cpuMicros / RECORDS).toFixed(2)),
    peakRssMb: Math.round(peakRss / 2 ** 20),
  }
  console.log(JSON.stringify(line))
  await admin.close([sink])
} else {
  throw new Error('usage: passthrough-once.ts fill|run|raw')
}
