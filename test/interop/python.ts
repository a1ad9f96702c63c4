/**
 * The Python side of the interop tests: the venv made by scripts/faust-venv.sh, and running scripts in it.
 * `FAUSTUS_TEST_FAUST_PYTHON` (set by the interop globalSetup) names the venv's python; without it the venv is made here.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll } from 'vitest'
import { waitFor } from '../helpers.ts'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const PY_DIR = join(ROOT, 'test/interop/py')
const run = promisify(execFile)

export type Provisioned = { python: string } | { skip: string }

// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what it matches
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|[\b\r]/g

let provisioning: Promise<Provisioned> | undefined

/** Makes (or finds) the venv. `{ skip }` only when python3 is missing; any other failure throws. */
export function provisionFaust(options: { plot?: boolean } = {}): Promise<Provisioned> {
  const given = process.env.FAUSTUS_TEST_FAUST_PYTHON
  if (given && existsSync(given) && !options.plot) return Promise.resolve({ python: given })
  provisioning ??= (async () => {
    const args = [join(ROOT, 'scripts/faust-venv.sh'), ...(options.plot ? ['--plot'] : [])]
    try {
      const { stdout } = await run('bash', args, { cwd: ROOT, maxBuffer: 16 << 20, timeout: 900_000 })
      const python = stdout.trim().split('\n').pop() ?? ''
      process.env.FAUSTUS_TEST_FAUST_PYTHON = python
      return { python }
    } catch (error) {
      const failed = error as { code?: number; stderr?: string }
      if (failed.code === 3) return { skip: `python3 is missing: ${failed.stderr?.trim() ?? ''}` }
      throw new Error(`scripts/faust-venv.sh failed: ${failed.stderr ?? String(error)}`)
    }
  })()
  return provisioning
}

/** Runs `script` (relative to test/interop/py unless absolute) to completion; rejects with its stderr on failure. */
export async function runPython(
  python: string,
  script: string,
  args: string[] = [],
  options: { env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await run(python, [resolve(PY_DIR, script), ...args], {
      cwd: PY_DIR,
      env: pythonEnv(options.env),
      maxBuffer: 64 << 20,
      timeout: options.timeoutMs ?? 120_000,
    })
    return stdout
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string }
    throw new Error(`python ${script} failed:\n${failed.stderr ?? ''}\n${failed.stdout ?? ''}`.trim())
  }
}

/**
 * The Faust venv's python for the tests of the calling describe block, provisioned before them (a missing python3
 * fails them with the reason): `const faust = faustPython()`, then `faust.path` inside the tests.
 */
export function faustPython(): { readonly path: string } {
  const found = { path: '' }
  beforeAll(async () => {
    const provisioned = await provisionFaust()
    if ('skip' in provisioned) throw new Error(provisioned.skip)
    found.path = provisioned.python
  }, 900_000)
  return found
}

export function pythonEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PYTHONPATH: PY_DIR, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', ...extra }
}

/** A long-running Python process (a Faust worker) whose output lines are kept and can be awaited. */
export class PythonProcess {
  readonly lines: string[] = []
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  #waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []

  constructor(python: string, script: string, args: string[], env: Record<string, string> = {}) {
    this.child = spawn(python, [resolve(PY_DIR, script), ...args], {
      cwd: PY_DIR,
      env: pythonEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.exited = new Promise((done) => this.child.once('exit', (code) => done(code)))
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      let partial = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => {
        partial += chunk
        let newline = partial.indexOf('\n')
        while (newline >= 0) {
          this.#line(partial.slice(0, newline))
          partial = partial.slice(newline + 1)
          newline = partial.indexOf('\n')
        }
      })
    }
  }

  #line(raw: string): void {
    // mode's spinner writes terminal escapes even without a TTY; they would hide the line's prefix.
    const line = raw.replace(ANSI, '')
    this.lines.push(line)
    if (process.env.FAUSTUS_TEST_VERBOSE) process.stderr.write(`[py] ${line}\n`)
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.pattern.test(line)) return true
      w.resolve(line)
      return false
    })
  }

  /** Resolves with the first line (past or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const seen = this.lines.find((line) => pattern.test(line))
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`python did not print ${pattern} within ${timeoutMs} ms; last lines:\n${this.tail()}`))
      }, timeoutMs)
      const exit = () => reject(new Error(`python exited before printing ${pattern}:\n${this.tail()}`))
      this.exited.then(exit)
      this.#waiters.push({
        pattern,
        resolve: (line) => {
          clearTimeout(timer)
          resolvePromise(line)
        },
      })
    })
  }

  /** Parsed JSON lines that start with `prefix` (the fixtures print `EVENT {...}`-style lines). */
  events<T = Record<string, unknown>>(prefix: string): T[] {
    return this.lines.filter((l) => l.startsWith(`${prefix} `)).map((l) => JSON.parse(l.slice(prefix.length + 1)))
  }

  /**
   * Resolves once the Faust worker's latest rebalance is over: the last PY_RESUMED is for the last PY_GENERATION (see
   * common.py: records produced before that can be lost by Faust itself).
   */
  async resumed(timeoutMs = 60_000): Promise<void> {
    const last = (kind: string) => this.events<{ generation: number }>(kind).at(-1)?.generation
    await waitFor(
      () => {
        const generation = last('PY_GENERATION')
        return (generation !== undefined && last('PY_RESUMED') === generation) || undefined
      },
      timeoutMs,
      () => `the Python worker to resume after its rebalance; last lines:\n${this.tail()}`,
      { intervalMs: 50 },
    )
  }

  tail(n = 40): string {
    return this.lines.slice(-n).join('\n')
  }

  /** SIGTERM (Faust stops gracefully), then SIGKILL after `graceMs`. */
  async stop(graceMs = 30_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}
