// CPU profile of the table update benchmark: `npx tsx bench/profile-tables.ts [memory|lmdb] [out.cpuprofile]`.
// One warm-up run, then one run under the inspector's sampling profiler (in-process: `--cpu-prof` cannot be passed
// through NODE_OPTIONS here); writes the .cpuprofile (open it in Chrome DevTools) and prints the functions with the
// most self and inclusive time.
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const store = process.argv[2] === 'lmdb' ? 'lmdb' : 'memory'
const out = process.argv[3] ?? `tables-${store}.cpuprofile`
process.env.BENCH_TABLE_STORES = store
const { tablesBenchmarks, timedHooks } = await import('./tables.ts')

await tablesBenchmarks()
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.setSamplingInterval', { interval: 100 })
// Only the timed part of the round: filling the input topic is left out.
let profile!: Profile
timedHooks.started = async () => {
  await session.post('Profiler.start')
}
timedHooks.ended = async () => {
  profile = ((await session.post('Profiler.stop')) as { profile: Profile }).profile
}
const results = await tablesBenchmarks()
session.disconnect()
writeFileSync(out, JSON.stringify(profile))
for (const result of results) console.log(`${result.name.trim()}: ${result.value} ${result.unit}`)
console.log(`profile written to ${out}`)

const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const parent = new Map<number, number>()
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id)
const name = (node: ProfileNode) =>
  `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url.split('/').pop() ?? ''}`.trim()
const self = new Map<string, number>()
const inclusive = new Map<string, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const time = profile.timeDeltas[i + 1] ?? 0
  total += time
  const own = name(byId.get(id)!)
  self.set(own, (self.get(own) ?? 0) + time)
  // Each function once per sample, however deep it recurses.
  const seen = new Set<string>()
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = name(byId.get(at)!)
    if (seen.has(frame)) continue
    seen.add(frame)
    inclusive.set(frame, (inclusive.get(frame) ?? 0) + time)
  }
})
const top = (times: Map<string, number>) =>
  [...times]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([frame, time]) => `  ${((100 * time) / total).toFixed(1).padStart(5)} %  ${frame}`)
    .join('\n')
console.log(`self time:\n${top(self)}\ninclusive time:\n${top(inclusive)}`)
