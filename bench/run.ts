// `npm run bench [-- memory|kafka|kafka-eos|tables|joins|faust|anchors]`: prints figures; targets are checked by reading them, not asserted.
import { memoryBenchmarks } from './memory.ts'

/** A figure; with a target (issue 16's "done when"), it is printed with "met" or "NOT met". */
interface Figure {
  name: string
  value: number
  unit: string
  target?: { atLeast?: number; atMost?: number }
}

const suites: Record<string, () => Promise<Figure[]>> = {
  memory: memoryBenchmarks,
  // Loaded on demand: the other suites need no Kafka client.
  kafka: async () => (await import('./kafka.ts')).kafkaBenchmarks(),
  'kafka-eos': async () => (await import('./kafka-eos.ts')).kafkaEosBenchmarks(),
  tables: async () => (await import('./tables.ts')).tablesBenchmarks(),
  joins: async () => (await import('./joins.ts')).joinsBenchmarks(),
  faust: async () => (await import('./faust.ts')).faustBenchmarks(),
  anchors: async () => (await import('./anchors.ts')).anchorsBenchmarks(),
}

function verdict(figure: Figure): string {
  const target = figure.target
  if (target === undefined) return ''
  const { atLeast, atMost } = target
  const met = (atLeast === undefined || figure.value >= atLeast) && (atMost === undefined || figure.value <= atMost)
  const bound =
    atLeast !== undefined ? `>= ${atLeast.toLocaleString('en-US')}` : `<= ${atMost!.toLocaleString('en-US')}`
  const ratio = atLeast !== undefined ? figure.value / atLeast : atMost! / figure.value
  return `  target ${bound}: ${met ? 'met' : 'NOT met'} (${ratio.toFixed(2)}x of target)`
}

const wanted = process.argv.slice(2).filter((arg) => !arg.startsWith('-'))
const names = wanted.length > 0 ? wanted : ['memory']
for (const name of names) {
  const suite = suites[name]
  if (suite === undefined) {
    console.error(`unknown benchmark suite "${name}"; known: ${Object.keys(suites).join(', ')}`)
    process.exit(2)
  }
  console.log(`# ${name} (node ${process.version})`)
  for (const result of await suite()) {
    console.log(
      `${result.name.padEnd(70)} ${result.value.toLocaleString('en-US').padStart(12)} ${result.unit}${verdict(result)}`,
    )
  }
}
