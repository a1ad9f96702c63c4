/**
 * `npm run bench -- faust`: Python Faust (faust-streaming, in the venv of scripts/faust-venv.sh) and Faustus side by
 * side, in one run, on the same broker and the same data (issue 7, point 6). Workloads: stateless passthrough,
 * keyed count table with changelog, ask round-trip latency, table recovery. Prints both figures and the ratio per
 * workload; writes bench/results/faust.json and, when matplotlib is in the venv, bench/results/faust.png.
 *
 * Sizes (defaults are the issue's): FAUST_BENCH_RECORDS (passthrough, 1,000,000), FAUST_BENCH_COUNT (count table,
 * 1,000,000), FAUST_BENCH_ASKS (10,000), FAUST_BENCH_RECOVERY (changelog records, 1,000,000);
 * FAUST_BENCH_ONLY=passthrough,ask,... runs a subset. A broker: FAUSTUS_TEST_KAFKA, or a throwaway one.
 */
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Admin, log, ROOT, venvPython } from './faust/harness.ts'
import { drawChart, type Row } from './faust/report.ts'
import { countTable, recovery } from './faust/tables.ts'
import { askLatency, passthrough, type RunContext } from './faust/workloads.ts'
import { benchBroker } from './kafka/common.ts'

export interface BenchResult {
  name: string
  value: number
  unit: string
}

const size = (name: string, fallback: number) => Number(process.env[name] ?? fallback)

export async function faustBenchmarks(): Promise<BenchResult[]> {
  const only = process.env.FAUST_BENCH_ONLY?.split(',')
  const wanted = (name: string) => only === undefined || only.includes(name)
  const python = await venvPython()
  const broker = await benchBroker()
  const admin = new Admin(broker.bootstrap)
  const ctx: RunContext = {
    admin,
    bootstrap: broker.bootstrap,
    python,
    run: `fb-${randomBytes(3).toString('hex')}`,
    partitions: 4,
    timeoutMs: size('FAUST_BENCH_TIMEOUT_S', 1_800) * 1000,
  }
  const rows: Row[] = []
  let askTimeouts = 0
  let pythonAsks = 0
  const dir = join(ROOT, 'bench/results')
  mkdirSync(dir, { recursive: true })
  // Written after each workload too, so a run that fails later keeps what it measured.
  const save = (extra: Record<string, unknown> = {}) =>
    writeFileSync(
      join(dir, 'faust.json'),
      `${JSON.stringify({ date: new Date().toISOString(), node: process.version, broker: 'Kafka 4, 1 broker, local', rows, ...extra }, null, 2)}\n`,
    )
  const add = (row: Row) => {
    rows.push(row)
    save()
  }
  try {
    if (wanted('passthrough')) {
      const n = size('FAUST_BENCH_RECORDS', 1_000_000)
      const r = await passthrough(ctx, n)
      log(`passthrough: Faustus ${Math.round(r.faustus)} records/s`)
      add({
        workload: `passthrough (${n.toLocaleString('en')} x 100 B)`,
        unit: 'records/s',
        higherIsBetter: true,
        ...r,
      })
    }
    if (wanted('count')) {
      const n = size('FAUST_BENCH_COUNT', 1_000_000)
      const r = await countTable(ctx, n)
      log(`count: Faustus ${Math.round(r.faustus)} events/s`)
      add({
        workload: `keyed count table (${n.toLocaleString('en')} events)`,
        unit: 'events/s',
        higherIsBetter: true,
        ...r,
      })
    }
    if (wanted('ask')) {
      const n = size('FAUST_BENCH_ASKS', 10_000)
      const r = await askLatency(ctx, n)
      askTimeouts = r.python.timeouts ?? 0
      pythonAsks = r.python.n ?? n
      log(`ask: Faustus p50 ${r.faustus.p50.toFixed(2)} ms (linger 0: ${r.faustusLinger0.p50.toFixed(2)} ms)`)
      const asks = `${n.toLocaleString('en')} asks`
      for (const p of ['p50', 'p99'] as const) {
        add({
          workload: `ask ${p} (${asks})`,
          unit: 'ms',
          higherIsBetter: false,
          python: r.python[p],
          faustus: r.faustus[p],
        })
        add({
          workload: `ask ${p} (${asks}, Faustus linger 0)`,
          unit: 'ms',
          higherIsBetter: false,
          python: r.python[p],
          faustus: r.faustusLinger0[p],
        })
      }
    }
    if (wanted('recovery')) {
      const n = size('FAUST_BENCH_RECOVERY', 1_000_000)
      const r = await recovery(ctx, n)
      log(`recovery: Faustus ${Math.round(r.faustus)} records/s`)
      add({
        workload: `table recovery (${n.toLocaleString('en')} changelog records)`,
        unit: 'records/s',
        higherIsBetter: true,
        ...r,
      })
    }
  } finally {
    await admin.close()
    await broker.stop()
  }

  save({ askTimeouts, pythonAsks })
  const png = await drawChart(python, join(dir, 'faust.json'), join(dir, 'faust.png'))
  log(
    png ? `wrote bench/results/faust.json and ${png}` : 'wrote bench/results/faust.json (no chart: matplotlib missing)',
  )

  const out: BenchResult[] = []
  for (const row of rows) {
    const ratio = row.higherIsBetter ? row.faustus / row.python : row.python / row.faustus
    out.push({ name: `${row.workload}: Python Faust`, value: round(row.python), unit: row.unit })
    out.push({ name: `${row.workload}: Faustus`, value: round(row.faustus), unit: row.unit })
    out.push({ name: `${row.workload}: Faustus advantage`, value: Math.round(ratio * 100) / 100, unit: 'x' })
  }
  return out
}

function round(value: number): number {
  return value >= 100 ? Math.round(value) : Math.round(value * 100) / 100
}

// Run directly: `npx node bench/faust.ts`.
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await faustBenchmarks()) {
    console.log(`${r.name.padEnd(70)} ${r.value.toLocaleString('en-US').padStart(12)} ${r.unit}`)
  }
}
