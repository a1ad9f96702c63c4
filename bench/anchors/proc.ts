/**
 * CPU time and memory of a process and its descendants, read from /proc (Linux): what each anchor costs, whatever
 * its runtime (JVM, Python, Node), measured the same way from outside.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

interface Stat {
  ppid: number
  /** utime + stime, seconds. */
  cpu: number
}

function readStat(pid: number): Stat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after "(comm)": state ppid ... utime(14) stime(15), counted from 1 over the whole line.
    const rest = text.slice(text.lastIndexOf(')') + 2).split(' ')
    return { ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND }
  } catch {
    return undefined
  }
}

/** `root` and every live descendant. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync('/proc')) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const stat = readStat(pid)
    if (stat === undefined) continue
    const list = children.get(stat.ppid) ?? []
    list.push(pid)
    children.set(stat.ppid, list)
  }
  const tree: number[] = []
  const queue = [root]
  while (queue.length > 0) {
    const pid = queue.pop() as number
    tree.push(pid)
    queue.push(...(children.get(pid) ?? []))
  }
  return tree
}

/** CPU seconds (user + system) spent so far by `root`'s tree. */
export function treeCpuSeconds(root: number): number {
  let total = 0
  for (const pid of processTree(root)) total += readStat(pid)?.cpu ?? 0
  return total
}

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return match ? Number(match[1]) : 0
  } catch {
    return 0
  }
}

/**
 * Samples the resident memory of `root`'s tree every `everyMs` until `stop()`; the peak is the larger of the
 * largest sampled sum and the kernel's high-water mark (VmHWM) of any one process of the tree.
 */
export class MemorySampler {
  #peakKb = 0
  readonly #timer: NodeJS.Timeout
  readonly #root: number

  constructor(root: number, everyMs = 100) {
    this.#root = root
    this.#timer = setInterval(() => this.sample(), everyMs)
    this.#timer.unref()
  }

  sample(): void {
    let sum = 0
    for (const pid of processTree(this.#root)) {
      sum += statusKb(pid, 'VmRSS')
      this.#peakKb = Math.max(this.#peakKb, statusKb(pid, 'VmHWM'))
    }
    this.#peakKb = Math.max(this.#peakKb, sum)
  }

  /** Takes a last sample (call it before the process exits) and stops; returns the peak in MB. */
  stop(): number {
    this.sample()
    clearInterval(this.#timer)
    return this.#peakKb / 1024
  }
}
