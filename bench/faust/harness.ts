/**
 * Shared pieces of the Faust side-by-side benchmark: the broker, filling topics, watching offsets, and running
 * the Python Faust worker (bench_worker.py) in the venv that scripts/faust-venv.sh makes.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import type { ProduceRecord, TopicSpec } from '../../src/transport/types.ts'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const run = promisify(execFile)
const noop = () => {}
export const silentLog = { debug: noop, info: noop, warn: (_o: object, m?: string) => console.error(`warn: ${m}`) }
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what it matches
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|[\b\r]/g

export function log(message: string): void {
  process.stderr.write(`faust-bench: ${message}\n`)
}

/** The venv's python, made (with matplotlib for the chart) when missing. */
export async function venvPython(): Promise<string> {
  const { stdout } = await run('bash', [join(ROOT, 'scripts/faust-venv.sh'), '--plot'], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
    timeout: 900_000,
  })
  return stdout.trim().split('\n').pop() ?? ''
}

export class Admin {
  readonly transport: KafkaTransport
  readonly bootstrap: string
  constructor(bootstrap: string) {
    this.bootstrap = bootstrap
    this.transport = new KafkaTransport({ url: `kafka://${bootstrap}`, clientId: 'faust-bench', log: silentLog })
  }

  async topics(specs: TopicSpec[]): Promise<void> {
    await this.transport.connect()
    await this.transport.ensureTopics(specs)
  }

  /** Sum of the high watermarks of `topic`'s partitions (records written, for a topic written once). */
  async written(topic: string, partitions: number): Promise<number> {
    const offsets = await this.transport.listOffsets(
      Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
    )
    return offsets.reduce((sum, o) => sum + o.latest, 0)
  }

  /** Produces `total` records made by `make(i)`, in batches, many in flight. */
  async fill(total: number, make: (i: number) => ProduceRecord): Promise<void> {
    const producer = this.transport.createProducer({ lingerMs: 5, maxBufferedRecords: 200_000 })
    const pending: Promise<unknown>[] = []
    for (let i = 0; i < total; i += 10_000) {
      const batch: ProduceRecord[] = []
      for (let j = i; j < Math.min(total, i + 10_000); j++) batch.push(make(j))
      pending.push(producer.send(batch))
      if (pending.length >= 16) await pending.shift()
    }
    await Promise.all(pending)
    await producer.close()
  }

  close(): Promise<void> {
    return this.transport.close()
  }
}

/** Polls until `done()` holds; returns Date.now() at that moment. */
export async function waitUntil(
  done: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const deadline = Date.now() + timeoutMs
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s: ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  return Date.now()
}

/** One Python Faust bench worker process. */
export class FaustWorker {
  readonly lines: string[] = []
  readonly child: ChildProcess
  readonly exited: Promise<number | null>

  constructor(python: string, appId: string, bootstrap: string, env: Record<string, string>) {
    this.child = spawn(python, [join(ROOT, 'bench/faust/bench_worker.py'), 'worker'], {
      cwd: join(ROOT, 'bench/faust'),
      env: {
        ...process.env,
        PYTHONUNBUFFERED: '1',
        PYTHONDONTWRITEBYTECODE: '1',
        FAUST_APP_ID: appId,
        KAFKA_BOOTSTRAP: bootstrap,
        FAUST_DATADIR: mkdtempSync(join(tmpdir(), 'faust-bench-')),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)))
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        partial += chunk
        const parts = partial.split('\n')
        partial = parts.pop() ?? ''
        for (const line of parts) {
          this.lines.push(line.replace(ANSI, ''))
          if (process.env.FAUST_BENCH_VERBOSE) process.stderr.write(`[py] ${line}\n`)
        }
      })
    }
  }

  /** The payload of the first `KIND {...}` line, waiting for it. */
  async event<T = Record<string, number>>(kind: string, timeoutMs: number): Promise<T> {
    let found: string | undefined
    await waitUntil(
      () => {
        if (this.child.exitCode !== null) throw new Error(`python exited:\n${this.lines.slice(-30).join('\n')}`)
        found = this.lines.find((l) => l.startsWith(`${kind} `))
        return found !== undefined
      },
      timeoutMs,
      `python ${kind}\n${this.lines.slice(-30).join('\n')}`,
    )
    return JSON.parse(found!.slice(kind.length + 1)) as T
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 20_000)
    await this.exited
    clearTimeout(timer)
  }
}
