import type { Logger } from '../logging.ts'

interface TableProgress {
  total: number
  done: number
}

export interface ProgressLine {
  table: string
  done: number
  total: number
  /** Records per second since recovery started. */
  rate: number
  /** Seconds left at that rate. */
  etaSeconds: number
}

/**
 * Recovery progress per table: a line on the terminal (stderr, when it is a TTY) redrawn every second, and a log
 * record at the same pace (and one at the end), with records done, total, rate and ETA.
 */
export class RecoveryProgress {
  readonly #log: Logger
  readonly #tables = new Map<string, TableProgress>()
  readonly #started = Date.now()
  readonly #tty: boolean
  #timer: NodeJS.Timeout | undefined

  constructor(log: Logger, options: { intervalMs?: number; tty?: boolean } = {}) {
    this.#log = log
    this.#tty = options.tty ?? process.stderr.isTTY === true
    this.#timer = setInterval(() => this.report(), options.intervalMs ?? 1000)
    this.#timer.unref?.()
  }

  expect(table: string, records: number): void {
    const entry = this.#tables.get(table) ?? { total: 0, done: 0 }
    entry.total += records
    this.#tables.set(table, entry)
  }

  advance(table: string, records: number): void {
    const entry = this.#tables.get(table)
    if (entry !== undefined) entry.done += records
  }

  lines(): ProgressLine[] {
    const seconds = Math.max((Date.now() - this.#started) / 1000, 1e-3)
    return [...this.#tables].map(([table, { done, total }]) => {
      const rate = done / seconds
      const left = Math.max(total - done, 0)
      return { table, done, total, rate: Math.round(rate), etaSeconds: rate > 0 ? Math.ceil(left / rate) : Infinity }
    })
  }

  report(): void {
    const lines = this.lines()
    for (const line of lines) this.#log.info({ ...line, etaSeconds: finite(line.etaSeconds) }, 'table recovery')
    if (this.#tty) process.stderr.write(`\r\x1b[K${lines.map(format).join('  ')}`)
  }

  finish(): ProgressLine[] {
    clearInterval(this.#timer)
    const lines = this.lines()
    if (this.#tty && lines.length > 0) process.stderr.write(`\r\x1b[K${lines.map(format).join('  ')}\n`)
    for (const line of lines) {
      this.#log.info({ table: line.table, records: line.done, rate: line.rate }, 'table recovered')
    }
    return lines
  }
}

function finite(n: number): number | null {
  return Number.isFinite(n) ? n : null
}

export function format(line: ProgressLine): string {
  const eta = Number.isFinite(line.etaSeconds) ? `${line.etaSeconds}s` : '?'
  const pct = line.total > 0 ? Math.floor((100 * line.done) / line.total) : 100
  return `recovering ${line.table}: ${line.done.toLocaleString('en-US')}/${line.total.toLocaleString('en-US')} (${pct}%, ${line.rate.toLocaleString('en-US')}/s, ETA ${eta})`
}
