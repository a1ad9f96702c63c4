import { pino } from 'pino'

/** The logging surface Faustus uses (a subset of pino's, so any pino logger fits). */
export interface Logger {
  error(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  info(obj: object | string, msg?: string): void
  debug(obj: object | string, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** A pino logger writing JSON lines to stderr (stdout stays free for command output). */
export function createLogger(options: { level: LogLevel; name?: string }): Logger {
  return pino({ level: options.level, name: options.name }, pino.destination(2))
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code
    return { err: { type: error.name, message: error.message, code, stack: error.stack } }
  }
  return { err: { message: String(error) } }
}
