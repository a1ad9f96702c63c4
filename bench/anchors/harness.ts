/**
 * Runs one system of the anchors benchmark on one workload and measures it from outside: events/s from its first
 * record to the end signal (start-up excluded), CPU seconds of its process tree over the same span, peak RSS.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import type { BenchAdmin } from '../kafka/common.ts'
import { MemorySampler, treeCpuSeconds } from './proc.ts'
import type { Launch, LaunchContext, SystemSpec } from './systems.ts'

export interface Measurement {
  system: string
  label: string
  workload: string
  records: number
  /** Records done when the run ended (below `records` on a timeout). */
  done: number
  seconds: number
  eventsPerSecond: number
  cpuSecondsPerMillion: number
  peakRssMb: number
  timedOut: boolean
}

/** A child process whose stdout lines are kept; stderr's last lines are kept for error messages. */
class Child {
  readonly lines: { text: string; at: number }[] = []
  readonly errors: string[] = []
  readonly process: ChildProcess
  readonly exited: Promise<number | null>
  #waiters: (() => void)[] = []

  constructor(launch: Launch, cwd: string, verbose: boolean) {
    this.process = spawn(launch.command, launch.args, {
      cwd,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...launch.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.exited = new Promise((resolve) => this.process.once('exit', (code) => resolve(code)))
    this.exited.then(() => this.#wake())
    this.#read(this.process.stdout!, (text) => this.lines.push({ text, at: Date.now() }), verbose)
    this.#read(
      this.process.stderr!,
      (text) => {
        this.errors.push(text)
        if (this.errors.length > 40) this.errors.shift()
      },
      verbose,
    )
  }

  #read(stream: NodeJS.ReadableStream, keep: (line: string) => void, verbose: boolean) {
    let partial = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n')
      partial = parts.pop() ?? ''
      for (const line of parts) {
        keep(line)
        if (verbose) process.stderr.write(`    | ${line}\n`)
      }
      this.#wake()
    })
  }

  #wake() {
    const waiters = this.#waiters
    this.#waiters = []
    for (const wake of waiters) wake()
  }

  /** The epoch ms that the `kind` line carries, waiting for it (or the deadline, or the child's exit). */
  async event(kind: string, deadline: number): Promise<number | undefined> {
    for (;;) {
      // Anywhere in the line: Python Faust writes terminal escapes before its first output.
      const pattern = new RegExp(`${kind} (\\d+)`)
      for (const line of this.lines) {
        const match = pattern.exec(line.text)
        if (match) return Number(match[1])
      }
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(`exited (${this.process.exitCode ?? this.process.signalCode}):\n${this.errors.join('\n')}`)
      }
      const left = deadline - Date.now()
      if (left <= 0) return undefined
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000))
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  async stop(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return
    this.process.kill('SIGTERM')
    const timer = setTimeout(() => this.process.kill('SIGKILL'), 20_000)
    await this.exited
    clearTimeout(timer)
  }
}

export interface RunOptions {
  admin: BenchAdmin
  timeoutMs: number
  verbose: boolean
}

/** Polls `count()` every 50 ms until it reaches `target` or the deadline; returns the count and when. */
async function pollUntil(count: () => Promise<number>, target: number, deadline: number, child: Child) {
  for (;;) {
    const n = await count()
    const at = Date.now()
    if (n >= target || at >= deadline) return { n, at }
    if (child.process.exitCode !== null) throw new Error(`exited early:\n${child.errors.join('\n')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

export async function runSystem(spec: SystemSpec, ctx: LaunchContext, options: RunOptions): Promise<Measurement> {
  const { admin } = options
  const child = new Child(spec.launch(ctx), ctx.root, options.verbose)
  const memory = new MemorySampler(child.process.pid ?? 0)
  const pid = child.process.pid ?? 0
  const deadline = Date.now() + options.timeoutMs
  try {
    const first = await child.event('ANCHOR_FIRST', deadline)
    if (first === undefined) throw new Error(`no first record within ${options.timeoutMs / 1000} s`)
    const cpuAtFirst = treeCpuSeconds(pid)
    let end: { n: number; at: number }
    if (spec.end === 'done') {
      const at = await child.event('ANCHOR_DONE', deadline)
      end = at === undefined ? { n: 0, at: Date.now() } : { n: ctx.total, at }
    } else if (spec.end === 'partitions') {
      let last: number | undefined = 0
      for (let p = 0; p < ctx.partitions && last !== undefined; p++) {
        const at = await child.event(`ANCHOR_PARTITION_${p}`, deadline)
        last = at === undefined ? undefined : Math.max(last, at)
      }
      end = last === undefined ? { n: 0, at: Date.now() } : { n: ctx.total, at: last }
    } else if (spec.end === 'output') {
      end = await pollUntil(() => admin.endOffset(ctx.sink), ctx.total, deadline, child)
    } else {
      const partitions = Array.from({ length: ctx.partitions }, (_, partition) => ({ topic: ctx.source, partition }))
      // Its own transport, quiet: while transactions are open the broker answers UNSTABLE_OFFSET_COMMIT, which the
      // transport retries and would warn about on every poll. A fetch that keeps failing still throws.
      const quiet = { debug() {}, info() {}, warn() {} }
      const transport = new KafkaTransport({
        url: `kafka://${ctx.bootstrap}`,
        clientId: 'anchors-committed',
        logger: quiet,
      })
      const reader = transport.createConsumer({
        groupId: ctx.group,
        handler: { onAssigned() {}, onRecords() {}, onRevoked() {} },
      })
      try {
        const committed = async () => [...(await reader.committed(partitions)).values()].reduce((a, b) => a + b, 0)
        end = await pollUntil(committed, ctx.total, deadline, child)
      } finally {
        await reader.close()
        await transport.close()
      }
    }
    const cpu = treeCpuSeconds(pid) - cpuAtFirst
    const seconds = Math.max(0.001, (end.at - first) / 1000)
    const done = Math.min(end.n, ctx.total)
    return {
      system: spec.id,
      label: spec.label,
      workload: spec.workload,
      records: ctx.total,
      done,
      seconds,
      eventsPerSecond: Math.round(done / seconds),
      cpuSecondsPerMillion: done > 0 ? (cpu / done) * 1e6 : 0,
      peakRssMb: memory.stop(),
      timedOut: done < ctx.total,
    }
  } finally {
    memory.stop()
    await child.stop()
  }
}
