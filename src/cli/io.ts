import { format } from 'node:util'

/** Where the CLI writes: injectable so tests run `main()` in-process and read what it printed. */
export interface CliIO {
  stdout(text: string): void
  stderr(text: string): void
  /** Only for the forced exit on a second signal; everything else returns an exit code. */
  exit(code: number): void
  /** Directory `-A` paths are resolved against. */
  cwd: string
  /** Where the worker hears SIGINT/SIGTERM (tests pass an EventEmitter). */
  signals: SignalSource
}

export interface SignalSource {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
}

export function defaultIO(): CliIO {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    exit: (code) => process.exit(code),
    cwd: process.cwd(),
    signals: process,
  }
}

type ConsoleMethod = 'log' | 'info' | 'debug' | 'warn' | 'error'

/**
 * Runs `fn` with `console` writing to `io`, so what an app command prints (with console.log, as commands do) is
 * captured when `io` is not the process's own streams. With the default io it changes nothing.
 */
export async function withConsole<T>(io: CliIO, captured: boolean, fn: () => Promise<T>): Promise<T> {
  if (!captured) return fn()
  const saved: Record<ConsoleMethod, (...args: unknown[]) => void> = {
    log: console.log,
    info: console.info,
    debug: console.debug,
    warn: console.warn,
    error: console.error,
  }
  const out = (...args: unknown[]) => io.stdout(`${format(...args)}\n`)
  const err = (...args: unknown[]) => io.stderr(`${format(...args)}\n`)
  Object.assign(console, { log: out, info: out, debug: out, warn: err, error: err })
  try {
    return await fn()
  } finally {
    Object.assign(console, saved)
  }
}
