/** The anchors table and the ratios of Faustus to each other system, as text. */
import type { Measurement } from './harness.ts'

export interface Row extends Measurement {
  /** Records in the input of this run. */
  size: number
}

export interface Failure {
  size: number
  workload: string
  system: string
  label: string
  error: string
}

const n = (value: number) => Math.round(value).toLocaleString('en-US')

export function formatTable(rows: Row[], failures: Failure[]): string {
  const header = ['workload', 'records', 'system', 'events/s', 'CPU s / 1M', 'peak RSS MB', 'Faustus / this']
  const lines = [header]
  for (const row of rows) {
    const faustus = rows.find((r) => r.size === row.size && r.workload === row.workload && r.system === 'faustus')
    const ratio =
      faustus && !row.system.startsWith('faustus')
        ? `${(faustus.eventsPerSecond / row.eventsPerSecond).toFixed(2)}x`
        : ''
    lines.push([
      row.workload,
      n(row.size),
      `${row.label}${row.timedOut ? ` [timed out at ${n(row.done)}]` : ''}`,
      n(row.eventsPerSecond),
      row.cpuSecondsPerMillion.toFixed(1),
      n(row.peakRssMb),
      ratio,
    ])
  }
  for (const f of failures) lines.push([f.workload, n(f.size), `${f.label} [FAILED: ${f.error.split('\n')[0]}]`])
  const widths = header.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)))
  const numeric = new Set([1, 3, 4, 5, 6])
  return lines
    .map((line) =>
      line
        .map((cell = '', i) => (numeric.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
}

/** Which rows each Faustus row is compared with: one process against all, N processes against the N-way ones. */
const COMPARED: Record<string, (other: Row) => boolean> = {
  faustus: (other) => !other.system.startsWith('faustus'),
  'faustus-n': (other) => other.system.startsWith('kstreams'),
  'faustus-lmdb-n': (other) => other.system.startsWith('kstreams'),
  'faustus-n-every': (other) => other.system.startsWith('kstreams'),
  'faustus-lmdb-n-every': (other) => other.system.startsWith('kstreams'),
}

export interface Ratio {
  size: number
  workload: string
  /** The Faustus system's label. */
  of: string
  versus: string
  ratio: number
}

/** Faustus' events/s over other systems', per workload and size ("Faustus agent / Kafka Streams: 0.55x"). */
export function ratios(rows: Row[]): Ratio[] {
  const out: Ratio[] = []
  for (const faustus of rows) {
    const compared = COMPARED[faustus.system]
    if (compared === undefined) continue
    for (const other of rows) {
      if (other.size !== faustus.size || other.workload !== faustus.workload || !compared(other)) continue
      if (other.eventsPerSecond === 0) continue
      out.push({
        size: faustus.size,
        workload: faustus.workload,
        of: faustus.label,
        versus: other.label,
        ratio: Number((faustus.eventsPerSecond / other.eventsPerSecond).toFixed(3)),
      })
    }
  }
  return out
}
