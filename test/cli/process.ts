/** Runs the real `faustus` bin in a child process, for tests that send it signals by pid. */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './run-cli.ts'

export const BIN = join(ROOT, 'bin', 'faustus.js')
/** The pinned Node (the devDependency), as `npx faustus` runs it. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node')

export interface FaustusProcess {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  /** Resolves when stderr or stdout has `text` (rejects if the process exits first). */
  waitFor(text: string): Promise<void>
  /** Resolves with the exit code (or 128 + signal number). */
  exited: Promise<number>
}

const started = new Set<ChildProcess>()

/** Kills (SIGKILL) every process `startFaustus` started that is still running: for afterAll, after a failed test. */
export function killStarted(): void {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  started.clear()
}

/** `faustus ...args`; `script` replaces the bin (e.g. a script calling `app.main()`). */
export function startFaustus(
  args: string[],
  env: Record<string, string> = {},
  script: string[] = [BIN],
): FaustusProcess {
  const child = spawn(NODE, [...script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  })
  started.add(child)
  let stdout = ''
  let stderr = ''
  const waiters: { text: string; resolve: () => void }[] = []
  const check = () => {
    for (const waiter of [...waiters]) {
      if (stdout.includes(waiter.text) || stderr.includes(waiter.text)) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve()
      }
    }
  }
  child.stdout!.on('data', (data: Buffer) => {
    stdout += data.toString()
    check()
  })
  child.stderr!.on('data', (data: Buffer) => {
    stderr += data.toString()
    check()
  })
  const exited = new Promise<number>((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal))))
  })
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: (text) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ text, resolve })
        check()
        void exited.then((code) =>
          reject(new Error(`faustus exited (${code}) before printing "${text}":\n${stdout}\n${stderr}`)),
        )
      }),
    exited,
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 0
}
