/**
 * `npm run bench -- kafka-eos`: exactly-once against at-least-once on the passthrough agent, side by side. The
 * shared 2-core machine makes one pair of runs noisy, so BENCH_EOS_ROUNDS (default 3) rounds each run both
 * guarantees back to back (alternating which goes first) on fresh output topics; the ratio of each round and the
 * medians are printed, after one uncounted warm-up run. Both are timed until the group committed every input offset, committing every
 * BENCH_COMMIT_INTERVAL_MS (default 100, Kafka Streams' exactly-once default). Same input as `kafka` (rows d/e).
 */
import { randomUUID } from 'node:crypto'
import { agentPassthrough } from './kafka/agent.ts'
import { BenchAdmin, benchBroker, perSecond, seconds, withCpu } from './kafka/common.ts'
import { fill } from './kafka/raw.ts'
import type { BenchResult } from './memory.ts'

const RECORDS = Number(process.env.BENCH_RECORDS ?? 300_000)
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 6)
const ROUNDS = Number(process.env.BENCH_EOS_ROUNDS ?? 3)
const TIMEOUT_MS = Number(process.env.BENCH_KAFKA_TIMEOUT_S ?? 60) * 1000

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2)
}

export async function kafkaEosBenchmarks(): Promise<BenchResult[]> {
  const broker = await benchBroker()
  const admin = new BenchAdmin(broker.bootstrap, PARTITIONS)
  const id = randomUUID().slice(0, 8)
  const input = `bench-eos-input-${id}`
  const outs = Array.from({ length: ROUNDS * 2 + 1 }, (_, i) => `bench-eos-out-${i}-${id}`)
  const names = [input, ...outs]
  try {
    await admin.create(names)
    await fill(broker.bootstrap, input, RECORDS, PARTITIONS)
    console.log(`  ${RECORDS.toLocaleString('en-US')} records, ${PARTITIONS} partitions, broker ${broker.bootstrap}`)
    const common = { bootstrap: broker.bootstrap, admin, source: input, total: RECORDS, timeoutMs: TIMEOUT_MS }
    // Not counted: the first run in a process pays for JIT compilation and the broker's first segments.
    const warmup = await agentPassthrough({ ...common, sink: outs[ROUNDS * 2], mode: 'topic' })
    console.log(`  warm-up run (not counted): ${seconds(warmup.ms)}`)
    const rates = { at_least_once: [] as number[], exactly_once: [] as number[] }
    const ratios: number[] = []
    for (let round = 0; round < ROUNDS; round++) {
      const order =
        round % 2 === 0 ? (['at_least_once', 'exactly_once'] as const) : (['exactly_once', 'at_least_once'] as const)
      const rate: Record<string, number> = {}
      for (const guarantee of order) {
        const sink = outs[round * 2 + (guarantee === 'exactly_once' ? 1 : 0)]
        const { result: run, cpuMicros } = await withCpu(() =>
          agentPassthrough({ ...common, sink, mode: 'topic', guarantee }),
        )
        const cpu = (cpuMicros / Math.max(1, run.count)).toFixed(2)
        rate[guarantee] = perSecond(run.count, run.ms)
        rates[guarantee].push(rate[guarantee])
        const partial = run.timedOut ? ` TIMED OUT at ${run.count}` : ''
        console.log(
          `  round ${round + 1} ${guarantee}: ${seconds(run.ms)}, ${rate[guarantee]} events/s, ${cpu} µs CPU/record${partial}`,
        )
      }
      ratios.push(rate.exactly_once / rate.at_least_once)
      console.log(`  round ${round + 1} exactly-once / at-least-once: ${(ratios.at(-1)! * 100).toFixed(1)}%`)
    }
    const r = median(ratios.map((x) => Math.round(x * 1000))) / 10
    return [
      { name: `at-least-once passthrough (median of ${ROUNDS})`, value: median(rates.at_least_once), unit: 'events/s' },
      { name: `exactly-once passthrough (median of ${ROUNDS})`, value: median(rates.exactly_once), unit: 'events/s' },
      {
        name: 'exactly-once / at-least-once, median of round ratios (target >= 80%)',
        value: r,
        unit: r >= 80 ? '% (met)' : '% (NOT met)',
      },
    ]
  } finally {
    await admin.close(names)
    await broker.stop()
  }
}
