/**
 * Paired A/B runs of the anchors' passthrough on one broker and one pre-filled topic: each round runs every variant
 * back to back (so a shared machine's load hits them alike), and the medians and per-round ratios to the first
 * variant are printed. A variant is a system id plus environment for its process (Faustus settings as FAUSTUS_*).
 *
 *   FAUSTUS_TEST_KAFKA=host:port node --import tsx bench/anchors-pairs.ts <records> <rounds> <variant>...
 *
 * A variant: `name=system[,VAR=value...]`, e.g. `base=faustus` `big=faustus,FAUSTUS_PRODUCER_MAX_BUFFERED_BYTES=8388608`
 * `raw=raw`; PAIRS_ROOT=<dir> runs the system from another checkout (code A/B). Extra node flags for the system's process go in NODE_OPTIONS (e.g. `NODE_OPTIONS=--cpu-prof`).
 */
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { type Measurement, runSystem } from './anchors/harness.ts'
import { SYSTEMS } from './anchors/systems.ts'
import { BenchAdmin, benchBroker } from './kafka/common.ts'
import { fill } from './kafka/raw.ts'

const ROOT = resolve(import.meta.dirname, '..')
const [records, rounds, ...specs] = process.argv.slice(2)
const total = Number(records)
const partitions = Number(process.env.BENCH_PARTITIONS ?? 6)

interface Variant {
  name: string
  system: string
  env: Record<string, string>
}

const variants: Variant[] = specs.map((spec) => {
  const at = spec.indexOf('=')
  const name = at < 0 ? spec : spec.slice(0, at)
  const rest = at < 0 ? spec : spec.slice(at + 1)
  const [system, ...vars] = rest.split(',')
  const env: Record<string, string> = {}
  for (const v of vars) env[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1)
  return { name, system, env }
})

const broker = await benchBroker()
const admin = new BenchAdmin(broker.bootstrap, partitions)
const id = randomUUID().slice(0, 8)
const source = `pairs-${id}-src`
const topics = [source]
const stateRoot = mkdtempSync(join(tmpdir(), 'faustus-pairs-'))
const results = new Map<string, Measurement[]>(variants.map((v) => [v.name, []]))
try {
  await admin.create([source])
  const ms = await fill(broker.bootstrap, source, total, partitions)
  console.error(`filled ${source}: ${total} records in ${(ms / 1000).toFixed(1)} s`)
  for (let round = 1; round <= Number(rounds); round++) {
    for (const variant of variants) {
      const spec = SYSTEMS.find((s) => s.id === variant.system && s.workload === 'passthrough')
      if (!spec) throw new Error(`unknown system ${variant.system}`)
      const group = `pairs-${id}-${round}-${variant.name}`
      const sink = `${group}-out`
      await admin.create([sink])
      topics.push(sink)
      const saved = { ...process.env }
      Object.assign(process.env, variant.env)
      try {
        const m = await runSystem(
          spec,
          {
            root: variant.env.PAIRS_ROOT ?? ROOT,
            partitions,
            bootstrap: broker.bootstrap,
            source,
            sink,
            total,
            group,
            stateDir: stateRoot,
            processes: 1,
            lastOffsets: [],
          },
          { admin, timeoutMs: 900_000, verbose: process.env.PAIRS_VERBOSE === '1' },
        )
        results.get(variant.name)!.push(m)
        console.error(
          `round ${round} ${variant.name}: ${m.eventsPerSecond} ev/s, ${m.cpuSecondsPerMillion.toFixed(1)} CPU s/1M, peak ${Math.round(m.peakRssMb)} MB${m.timedOut ? ' TIMED OUT' : ''}`,
        )
      } finally {
        for (const key of Object.keys(variant.env)) {
          if (saved[key] === undefined) delete process.env[key]
          else process.env[key] = saved[key]
        }
      }
      await admin.transport.deleteTopics([sink]).catch(() => {})
    }
  }
} finally {
  rmSync(stateRoot, { recursive: true, force: true })
  await admin.close(topics)
  await broker.stop()
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const first = results.get(variants[0].name)!
console.log(`\n${total} records, ${rounds} rounds (median; ratio to ${variants[0].name} paired per round, median)`)
for (const variant of variants) {
  const ms = results.get(variant.name)!
  const ratio = median(ms.map((m, i) => m.eventsPerSecond / first[i].eventsPerSecond))
  console.log(
    `${variant.name.padEnd(12)} ${String(median(ms.map((m) => m.eventsPerSecond))).padStart(8)} ev/s  ${median(
      ms.map((m) => m.cpuSecondsPerMillion),
    )
      .toFixed(1)
      .padStart(
        5,
      )} CPU s/1M  peak ${Math.round(Math.max(...ms.map((m) => m.peakRssMb)))} MB  x${ratio.toFixed(2)}  [${ms.map((m) => m.eventsPerSecond).join(', ')}]`,
  )
}
