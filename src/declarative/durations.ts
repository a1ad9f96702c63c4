import type { DurationSpec } from './schema-parts.ts'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A manifest duration in milliseconds: `500ms`, `10s`, `5m`, `1h`, `1d`, or a number of seconds. */
export function durationMs(duration: DurationSpec): number {
  if (typeof duration === 'number') return duration * 1000
  const match = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/.exec(duration)
  if (match === null) throw new Error(`not a duration: ${duration}`)
  return Number(match[1]) * UNIT_MS[match[2]]
}
