// npm run faults [-- --only <name,...>] [--tries N] [--guarantee at_least_once|exactly_once] [--out FILE]
//
// The fault suite against real brokers it starts itself (scripts/kafka): worker kill -9, single-broker SIGTERM and
// SIGKILL restarts, a 60 s outage, kill -9 of a partition leader in a 3-broker cluster, 10 worker joins and leaves.
// Writes bench/results/faults.json and a chart (bench/results/faults.svg) of the time to resume.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { startKafka } from '../scripts/kafka/index.ts'
import { renderChart } from './faults/chart.ts'
import type { Guarantee } from './faults/harness.ts'
import {
  badInputs,
  brokerRestart,
  joinsAndLeaves,
  leaderKill,
  type ScenarioRow,
  workerKill,
} from './faults/scenarios.ts'

const { values } = parseArgs({
  options: {
    only: { type: 'string' },
    tries: { type: 'string', default: '10' },
    down: { type: 'string', default: '10' },
    guarantee: { type: 'string', default: 'at_least_once' },
    out: { type: 'string', default: join(import.meta.dirname, 'results', 'faults.json') },
  },
})
const only = values.only ? new Set(values.only.split(',')) : undefined
const tries = Number(values.tries)
const downMs = Number(values.down) * 1000
const guarantees = values.guarantee.split(',') as Guarantee[]
const log = (message: string) => process.stderr.write(`faults: ${message}\n`)
const want = (name: string) => !only || only.has(name)

const rows: ScenarioRow[] = []
const started = Date.now()

async function withCluster<T>(brokers: number, body: (c: Awaited<ReturnType<typeof startKafka>>) => Promise<T>) {
  const cluster = await startKafka({ brokers, log })
  try {
    return await body(cluster)
  } finally {
    await cluster.stop()
  }
}

for (const guarantee of guarantees) {
  if (want('worker-kill') || want('worker-kill-static')) {
    await withCluster(1, async (cluster) => {
      if (want('worker-kill')) rows.push(await workerKill(cluster, guarantee, log))
      if (want('worker-kill-static'))
        rows.push(await workerKill(cluster, guarantee, log, { static: true, sessionMs: 30_000 }))
    })
  }
  if (want('joins-leaves')) await withCluster(1, async (c) => rows.push(await joinsAndLeaves(c, guarantee, log)))
  if (want('broker-sigterm'))
    await withCluster(1, async (c) =>
      rows.push(await brokerRestart(c, guarantee, log, { signal: 'SIGTERM', tries, downMs })),
    )
  if (want('broker-sigkill'))
    await withCluster(1, async (c) =>
      rows.push(await brokerRestart(c, guarantee, log, { signal: 'SIGKILL', tries, downMs })),
    )
  if (want('outage-60s'))
    await withCluster(1, async (c) =>
      rows.push(
        await brokerRestart(c, guarantee, log, {
          signal: 'SIGTERM',
          tries: 1,
          downMs: 60_000,
          scenario: 'single broker 60 s outage',
        }),
      ),
    )
  if (want('leader-kill')) await withCluster(3, async (c) => rows.push(await leaderKill(c, guarantee, log)))
  if (want('bad-input')) await withCluster(1, async (c) => rows.push(...(await badInputs(c, guarantee, log))))
}

const result = {
  command: `npm run faults -- ${process.argv.slice(2).join(' ')}`.trim(),
  date: new Date().toISOString(),
  durationS: Math.round((Date.now() - started) / 1000),
  rows,
}
writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`)
writeFileSync(values.out.replace(/\.json$/, '.svg'), renderChart(rows))
process.stdout.write(`${table(rows)}\n`)
// Exactly-once promises one output per input copy: a duplicated output fails the run (the scenario's log names the
// duplicated inputs, their output offsets, and what a fresh read of the output found).
const duplicatedUnderEos = rows.filter((r) => r.guarantee === 'exactly_once' && r.duplicated > 0)
for (const r of duplicatedUnderEos) log(`FAILED: ${r.scenario}: ${r.duplicated} outputs duplicated under exactly-once`)
if (duplicatedUnderEos.length > 0) process.exitCode = 1

function table(list: ScenarioRow[]): string {
  const lines = [
    '| scenario | guarantee | tries | records | lost | duplicated | resume ms (median / max) | worker exits |',
    '|---|---|---|---|---|---|---|---|',
  ]
  for (const r of list) {
    const sorted = [...r.resumeMs].sort((a, b) => a - b)
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : '-'
    const max = sorted.length ? sorted[sorted.length - 1] : '-'
    lines.push(
      `| ${r.scenario} | ${r.guarantee} | ${r.tries} | ${r.records} | ${r.lost} | ${r.duplicated} | ${median} / ${max} | ${r.workerExits.length} |`,
    )
  }
  return lines.join('\n')
}
