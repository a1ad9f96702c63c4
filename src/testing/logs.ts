import pino from 'pino'
import type { Logger } from '../logging.ts'

export interface LogEntry {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'
  msg: string
  [field: string]: unknown
}

const LEVELS: Record<number, LogEntry['level']> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}

/** A logger that keeps what it logs, to assert on: pass `logger` to the App. */
export function captureLogs(level: LogEntry['level'] = 'info'): { logger: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = []
  const stream = {
    write(line: string) {
      const parsed = JSON.parse(line) as Record<string, unknown>
      entries.push({ ...parsed, level: LEVELS[parsed.level as number] ?? 'info', msg: String(parsed.msg ?? '') })
    },
  }
  const logger = pino({ level }, stream) as unknown as Logger
  return { logger, entries }
}
