import { createRequire } from 'node:module'
import { pino } from 'pino'

// pino-pretty is loaded only for a terminal: JSON-logging processes (services, pipes, tests) skip its start-up cost.
const require = createRequire(import.meta.url)

/** The logging surface Faustus uses (a subset of pino's, so any pino logger fits). */
export interface Logger {
  error(obj: object | string, msg?: string): void
  warn(obj: object | string, msg?: string): void
  info(obj: object | string, msg?: string): void
  debug(obj: object | string, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
/** `auto`: human-readable lines when stderr is a terminal, JSON lines otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty'

const MASK = '***'

/** `scheme://user:password@host` with the password masked; text without credentials comes back as it was. */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/@:"'`]*):([^\s/@"'`]+)@/gi, `$1$2:${MASK}@`)
}

/** `text` with URL credentials and each of `secrets` (as written and as escaped inside a JSON string) masked. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let result = redactUrls(text)
  for (const secret of secrets) {
    if (secret.length < 3) continue
    result = result.replaceAll(secret, MASK)
    const escaped = JSON.stringify(secret).slice(1, -1)
    if (escaped !== secret) result = result.replaceAll(escaped, MASK)
  }
  return result
}

interface LineSink {
  write(line: string): unknown
}

/** A pino destination that masks secrets in every line before it reaches `target` (pino writes whole lines). */
function redacting(target: LineSink, secrets: readonly string[]): LineSink {
  return { write: (line: string) => target.write(redact(line, secrets)) }
}

/** pino-pretty's formatter in-process (no worker thread): each JSON line becomes one readable line. */
function prettyLines(sink: LineSink, colorize: boolean): LineSink {
  const { prettyFactory } = require('pino-pretty') as typeof import('pino-pretty')
  const format = prettyFactory({ colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
  return { write: (line: string) => sink.write(format(line)) }
}

export interface LoggerOptions {
  level: LogLevel
  name?: string
  format?: LogFormat
  /** Values that must never appear in a log line (SASL password, TLS key). URL credentials are always masked. */
  secrets?: readonly string[]
  /** Where lines go; stderr by default (stdout stays free for command output). */
  destination?: LineSink
  /** Whether the destination is a terminal, for `auto` (default: whether stderr is a TTY). */
  isTTY?: boolean
}

/** A pino logger on stderr: human-readable lines on a terminal, JSON lines otherwise; secrets masked. */
export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? 'auto'
  const tty = options.isTTY ?? process.stderr.isTTY === true
  const usePretty = format === 'pretty' || (format === 'auto' && tty)
  const sink: LineSink = options.destination ?? pino.destination(2)
  const target = usePretty ? prettyLines(sink, tty && options.destination === undefined) : sink
  return pino(
    { level: options.level, name: options.name, serializers: { err: serializeError } },
    redacting(target, options.secrets ?? []) as never,
  )
}

/** A value thrown that is not an Error (a string, an object), carried as one for logging. */
class ThrownValue extends Error {
  constructor(value: unknown) {
    super(typeof value === 'string' ? value : safeString(value))
    this.name = `thrown ${value === null ? 'null' : typeof value}`
  }
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

const MAX_CAUSES = 5

/**
 * An error as a log object: its class (not "Object"), message, code, details and stack, and its `cause` chain.
 * Used as pino's `err` serializer, so `log.error({ err }, ...)` and `errorFields(err)` give the same shape.
 */
export function serializeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) {
    if (error !== null && typeof error === 'object' && typeof (error as Error).message === 'string') {
      // Error-like from another realm or library, or already serialized: keep its fields.
      const like = error as Record<string, unknown>
      return { ...like, type: like.type ?? like.name ?? 'Error' }
    }
    return serializeError(new ThrownValue(error), depth)
  }
  const fields = error as Error & { code?: unknown; details?: unknown }
  const type = error.constructor?.name && error.constructor.name !== 'Object' ? error.constructor.name : error.name
  const out: Record<string, unknown> = { type, message: error.message }
  if (fields.code !== undefined) out.code = fields.code
  if (fields.details !== undefined && Object.keys(fields.details as object).length > 0) out.details = fields.details
  if (error instanceof AggregateError) out.errors = error.errors.map((e) => serializeError(e, depth + 1))
  out.stack = error.stack
  if (error.cause !== undefined && depth < MAX_CAUSES) out.cause = serializeError(error.cause, depth + 1)
  return out
}

/** Log fields for an error: `log.error({ ...errorFields(error), topic }, 'what failed')`. */
export function errorFields(error: unknown): Record<string, unknown> {
  // The error itself, not a copy: pino's `err` serializer (ours, or pino's standard one in a logger the user gave)
  // names its class; a plain-object copy was logged as "type":"Object".
  return { err: error instanceof Error ? error : new ThrownValue(error) }
}
