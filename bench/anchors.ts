/**
 * `npm run bench -- anchors` (issue 16, point 6): on one broker and the same data, in one run, the raw client loop,
 * Faustus, Kafka Streams (bench/anchors/java, built by scripts/jvm), Quix Streams (.venv/quix) and Python Faust
 * (.venv/faust), for a passthrough and a keyed count, at each size. Each system runs in its own process and is
 * measured from outside: events/s from its first record to its end (start-up excluded), CPU seconds per 1M records
 * of its process tree (/proc) over that span, and peak RSS. Prints a table and the ratios (Faustus / each), writes
 * bench/results/anchors.json and bench/results/anchors.svg.
 *
 * Environment (defaults in brackets):
 *   ANCHORS_SIZES       records per run, comma-separated [500000,2000000]
 *   ANCHORS_WORKLOADS   passthrough,count [both]
 *   ANCHORS_SYSTEMS     ids: raw, faustus, faustus-eos, faustus-lmdb, kstreams, kstreams-eos, quix, faust,
 *                       faustus-n, faustus-lmdb-n, kstreams-n (the whole machine: N processes / stream threads),
 *                       faustus-n-every, faustus-lmdb-n-every (the -n counts committing every 10,000 acks too,
 *                       brokerCommitEvery 10000, as Faust commits every broker_commit_every acks) [all]
 *   ANCHORS_PROCESSES   N of the "-n" systems [os.availableParallelism()]
 *   ANCHORS_SLOW_MAX    Python Faust runs only at sizes up to this [500000] (it does ~4k events/s)
 *   ANCHORS_TIMEOUT_S   per system and workload [900]
 *   ANCHORS_OUT         the JSON file [bench/results/anchors.json]; the chart is written beside it (.svg)
 *   ANCHORS_VERBOSE=1   echo the systems' output
 *   BENCH_PARTITIONS    [6]; FAUSTUS_TEST_KAFKA: a running broker (else one is started and stopped)
 */
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { buildJava } from '../scripts/jvm/index.ts'
import { renderChart } from './anchors/chart.ts'
import { fillKeyed } from './anchors/data.ts'
import { runSystem } from './anchors/harness.ts'
import { type Failure, formatTable, type Row, ratios } from './anchors/report.ts'
import { type LaunchContext, SYSTEMS, type Workload } from './anchors/systems.ts'
import { BenchAdmin, benchBroker } from './kafka/common.ts'
import { fill } from './kafka/raw.ts'
import type { BenchResult } from './memory.ts'

const ROOT = resolve(import.meta.dirname, '..')
const run = promisify(execFile)

export interface AnchorsOptions {
  sizes: number[]
  workloads: Workload[]
  /** System ids to run (all when undefined). */
  systems?: string[]
  slowMax: number
  timeoutMs: number
  partitions: number
  /** N of the "-n" systems. */
  processes: number
  out: string
  verbose: boolean
  log: (message: string) => void
}

const list = (value: string | undefined) =>
  value
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean)

export function optionsFromEnv(env = process.env): AnchorsOptions {
  return {
    sizes: (list(env.ANCHORS_SIZES) ?? ['500000', '2000000']).map(Number),
    workloads: (list(env.ANCHORS_WORKLOADS) ?? ['passthrough', 'count']) as Workload[],
    systems: list(env.ANCHORS_SYSTEMS),
    slowMax: Number(env.ANCHORS_SLOW_MAX ?? 500_000),
    timeoutMs: Number(env.ANCHORS_TIMEOUT_S ?? 900) * 1000,
    partitions: Number(env.BENCH_PARTITIONS ?? 6),
    processes: Number(env.ANCHORS_PROCESSES ?? availableParallelism()),
    out: resolve(ROOT, env.ANCHORS_OUT ?? 'bench/results/anchors.json'),
    verbose: env.ANCHORS_VERBOSE === '1',
    log: (message) => process.stderr.write(`anchors: ${message}\n`),
  }
}

async function venvPython(script: string): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, script)], { cwd: ROOT, maxBuffer: 16 << 20, timeout: 900_000 })
  return stdout.trim().split('\n').pop() ?? ''
}

export interface AnchorsReport {
  rows: Row[]
  failures: Failure[]
  table: string
}

export async function runAnchors(options: AnchorsOptions): Promise<AnchorsReport> {
  const { log, partitions } = options
  const specs = SYSTEMS.filter(
    (s) => options.workloads.includes(s.workload) && (options.systems === undefined || options.systems.includes(s.id)),
  )
  const needs = new Set(specs.map((s) => s.runtime))
  const base: Omit<LaunchContext, 'bootstrap' | 'source' | 'sink' | 'total' | 'group' | 'stateDir' | 'lastOffsets'> = {
    root: ROOT,
    partitions,
    processes: options.processes,
  }
  if (needs.has('java')) base.java = await buildJava({ sources: 'bench/anchors/java', log })
  if (needs.has('quix')) base.quixPython = await venvPython('scripts/quix-venv.sh')
  if (needs.has('faust')) base.faustPython = await venvPython('scripts/faust-venv.sh')

  const broker = await benchBroker()
  const admin = new BenchAdmin(broker.bootstrap, partitions)
  const id = randomUUID().slice(0, 8)
  const topics: string[] = []
  const rows: Row[] = []
  const failures: Failure[] = []
  const load = { start: loadavg() }
  const save = () => {
    mkdirSync(dirname(options.out), { recursive: true })
    const ratioRows = ratios(rows)
    const meta = {
      date: new Date().toISOString(),
      node: process.version,
      kafka: base.java?.kafkaVersion,
      broker: broker.started ? 'one local broker started for the run' : broker.bootstrap,
      partitions,
      processes: options.processes,
      valueBytes: 100,
      loadavg: { ...load, end: loadavg() },
    }
    writeFileSync(options.out, `${JSON.stringify({ ...meta, rows, ratios: ratioRows, failures }, null, 2)}\n`)
    const title = `Anchors: events/s on one local broker, ${partitions} partitions, 100-byte records (${meta.date.slice(0, 16)}Z)`
    writeFileSync(options.out.replace(/\.json$/, '.svg'), renderChart(rows, title))
  }
  const stateRoot = mkdtempSync(join(tmpdir(), 'faustus-anchors-'))
  try {
    log(
      `broker ${broker.bootstrap}${broker.started ? ' (started for this run)' : ''}; load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
    for (const size of options.sizes) {
      const sources: Record<Workload, string> = {
        passthrough: `anchors-${id}-${size}-plain`,
        count: `anchors-${id}-${size}-keyed`,
      }
      const wanted = options.workloads.map((w) => sources[w])
      await admin.create(wanted)
      topics.push(...wanted)
      if (options.workloads.includes('passthrough')) {
        const ms = await fill(broker.bootstrap, sources.passthrough, size, partitions)
        log(`filled ${sources.passthrough}: ${size.toLocaleString('en-US')} records in ${(ms / 1000).toFixed(1)} s`)
      }
      if (options.workloads.includes('count')) {
        const ms = await fillKeyed(broker.bootstrap, sources.count, size, partitions)
        log(`filled ${sources.count}: ${size.toLocaleString('en-US')} keyed records in ${(ms / 1000).toFixed(1)} s`)
      }
      const lastOffsets: Record<string, number[]> = {}
      for (const source of wanted) lastOffsets[source] = (await admin.endOffsets(source)).map((end) => end - 1)
      for (const spec of specs) {
        if (spec.runtime === 'faust' && size > options.slowMax) {
          log(`${spec.workload} ${size}: ${spec.label} skipped (above ANCHORS_SLOW_MAX=${options.slowMax})`)
          continue
        }
        const group = `anchors-${id}-${size}-${spec.workload}-${spec.id}`
        const sink = spec.workload === 'passthrough' ? `${group}-out` : '-'
        if (sink !== '-') {
          await admin.create([sink])
          topics.push(sink)
        }
        const stateDir = join(stateRoot, group)
        mkdirSync(stateDir, { recursive: true })
        const ctx: LaunchContext = {
          ...base,
          bootstrap: broker.bootstrap,
          source: sources[spec.workload],
          sink,
          total: size,
          group,
          stateDir,
          lastOffsets: lastOffsets[sources[spec.workload]],
        }
        log(`${spec.workload} ${size.toLocaleString('en-US')}: ${spec.label} ...`)
        try {
          const m = await runSystem(spec, ctx, { admin, timeoutMs: options.timeoutMs, verbose: options.verbose })
          rows.push({ ...m, size })
          log(
            `  ${m.eventsPerSecond.toLocaleString('en-US')} events/s, ${m.cpuSecondsPerMillion.toFixed(1)} CPU s/1M, peak ${Math.round(m.peakRssMb)} MB${m.timedOut ? ' (TIMED OUT)' : ''}`,
          )
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error)
          failures.push({ size, workload: spec.workload, system: spec.id, label: spec.label, error: message })
          log(`  FAILED: ${message}`)
        }
        rmSync(stateDir, { recursive: true, force: true })
        save()
      }
    }
  } finally {
    rmSync(stateRoot, { recursive: true, force: true })
    await admin.close(topics)
    await broker.stop()
  }
  save()
  return { rows, failures, table: formatTable(rows, failures) }
}

export async function anchorsBenchmarks(): Promise<BenchResult[]> {
  const options = optionsFromEnv()
  const report = await runAnchors(options)
  console.log(`\n${report.table}\n`)
  console.log(`wrote ${options.out} and ${options.out.replace(/\.json$/, '.svg')}`)
  const results: BenchResult[] = []
  for (const r of ratios(report.rows)) {
    results.push({
      name: `${r.workload} ${r.size.toLocaleString('en-US')}: ${r.of} / ${r.versus}`,
      value: r.ratio,
      unit: 'x',
    })
  }
  if (report.failures.length > 0) process.exitCode = 1
  return results
}

// `node --import tsx bench/anchors.ts [file.json]`: the table and the ratios of a saved run (a run stopped early
// keeps every row it measured: the file is written after each system); the chart beside it is drawn again.
if (import.meta.url === `file://${process.argv[1]}`) {
  const path = resolve(process.argv[2] ?? join(ROOT, 'bench/results/anchors.json'))
  const saved = JSON.parse(readFileSync(path, 'utf8')) as { rows: Row[]; failures: Failure[]; date: string }
  const partitions = (saved as { partitions?: number }).partitions ?? 6
  const title = `Anchors: events/s on one local broker, ${partitions} partitions, 100-byte records (${saved.date.slice(0, 16)}Z)`
  writeFileSync(path.replace(/\.json$/, '.svg'), renderChart(saved.rows, title))
  console.log(`${path} (${saved.date})\n\n${formatTable(saved.rows, saved.failures)}\n`)
  for (const r of ratios(saved.rows)) {
    console.log(`${r.workload} ${r.size.toLocaleString('en-US')}: ${r.of} / ${r.versus}: ${r.ratio}x`)
  }
}
