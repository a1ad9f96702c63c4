// `npm run bench [-- memory|kafka|kafka-eos|tables|faust|anchors]`: prints figures; targets are checked by reading them, not asserted.
import { memoryBenchmarks } from './memory.ts'

const suites: Record<string, () => Promise<{ name: string; value: number; unit: string }[]>> = {
  memory: memoryBenchmarks,
  // Loaded on demand: the other suites need no Kafka client.
  kafka: async () => (await import('./kafka.ts')).kafkaBenchmarks(),
  'kafka-eos': async () => (await import('./kafka-eos.ts')).kafkaEosBenchmarks(),
  tables: async () => (await import('./tables.ts')).tablesBenchmarks(),
  faust: async () => (await import('./faust.ts')).faustBenchmarks(),
  anchors: async () => (await import('./anchors.ts')).anchorsBenchmarks(),
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
    console.log(`${result.name.padEnd(70)} ${result.value.toLocaleString('en-US').padStart(12)} ${result.unit}`)
  }
}
