/**
 * Prints the top functions of a profile written by `bench/profile-agent.ts` (or any `.cpuprofile` / `.heapprofile`).
 *
 *   npx tsx bench/profile-summary.ts <file> [top]
 *
 * A CPU profile gives each function's self and inclusive share of the samples; a heap profile gives each allocating
 * function's share of the bytes, with its two callers (inlined functions allocate under their caller's name).
 */
import { readFileSync } from 'node:fs'

interface CallFrame {
  functionName: string
  url: string
  lineNumber: number
}
interface CpuNode {
  id: number
  callFrame: CallFrame
  children?: number[]
}
interface HeapNode {
  callFrame: CallFrame
  selfSize: number
  children: HeapNode[]
}

const [file, topArg] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: profile-summary.ts <file> [top]')
const top = Number(topArg ?? 30)
const data = JSON.parse(readFileSync(file, 'utf8'))

const nameOf = (frame: CallFrame) =>
  `${frame.functionName || '(anonymous)'} ${frame.url.split('/').slice(-2).join('/')}`

function print(title: string, shares: Map<string, number>, total: number): void {
  console.log(`\n${title}`)
  const rows = [...shares].sort((a, b) => b[1] - a[1]).slice(0, top)
  for (const [name, value] of rows) console.log(`${((100 * value) / total).toFixed(1).padStart(5)} %  ${name}`)
}

if (file.endsWith('.heapprofile')) {
  const bytes = new Map<string, number>()
  let total = 0
  const walk = (node: HeapNode, callers: string[]) => {
    const name = nameOf(node.callFrame)
    if (node.selfSize > 0) {
      total += node.selfSize
      const key = `${name}  <  ${callers.slice(-2).reverse().join(' < ')}`
      bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize)
    }
    for (const child of node.children) walk(child, [...callers, name])
  }
  walk(data.head as HeapNode, [])
  print('bytes allocated, by function and callers', bytes, total)
} else {
  const nodes = new Map<number, CpuNode>((data.nodes as CpuNode[]).map((node) => [node.id, node]))
  const parents = new Map<number, number>()
  for (const node of nodes.values()) for (const child of node.children ?? []) parents.set(child, node.id)
  const samples = new Map<number, number>()
  for (const id of data.samples as number[]) samples.set(id, (samples.get(id) ?? 0) + 1)
  const self = new Map<string, number>()
  const inclusive = new Map<string, number>()
  let total = 0
  for (const [id, count] of samples) {
    total += count
    const name = nameOf(nodes.get(id)!.callFrame)
    self.set(name, (self.get(name) ?? 0) + count)
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
      const caller = nameOf(nodes.get(at)!.callFrame)
      if (seen.has(caller)) continue
      seen.add(caller)
      inclusive.set(caller, (inclusive.get(caller) ?? 0) + count)
    }
  }
  print('self time', self, total)
  print('inclusive time', inclusive, total)
}
