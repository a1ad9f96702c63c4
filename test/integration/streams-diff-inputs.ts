// Generated inputs of the joins/sessions differential test (joins-streams-diff.test.ts): seeded, so a failure
// can be replayed, with timestamps that move forward and 5 % of records late or out of order.
import type { ConsumedRecord } from '../../src/transport/types.ts'

export interface Input {
  topic: string
  key: string
  /** JSON text, or null for a tombstone. */
  value: string | null
  timestamp: number
  partition?: number
}

export function seeded(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
}

export interface JoinInputsOptions {
  start: number
  /** Records per phase; a phase writes one side of the join only. */
  perPhase: number
  phases: number
  /** Time one phase covers (ms). */
  span: number
  keys: number
  /** Late records are this much (at most) earlier than their place in the phase. */
  maxLateness: number
}

/**
 * The windowed join's input, phase by phase: even phases write the left topic, odd ones the right, each covering
 * `span` ms of event time in order, the right phases a quarter span later than the left ones (so each side's records
 * come before and after the other's), 5 % of records moved back by up to `maxLateness` (some within the grace
 * period, some after it). Phases are written one at a time and read to the end by both systems before the next:
 * the order records of the two topics are processed in is then the same for both (see the test).
 */
export function joinPhases(topics: { left: string; right: string }, options: JoinInputsOptions): Input[][] {
  const random = seeded(7)
  const phases: Input[][] = []
  for (let phase = 0; phase < options.phases; phase++) {
    const side = phase % 2 === 0 ? 'L' : 'R'
    const block = Math.floor(phase / 2)
    let clock = options.start + block * options.span + (side === 'R' ? options.span / 4 : 0)
    const step = (2 * options.span) / options.perPhase
    const records: Input[] = []
    for (let i = 0; i < options.perPhase; i++) {
      clock += Math.floor(random() * step)
      const late = random() < 0.05 ? Math.floor(random() * options.maxLateness) : 0
      records.push({
        topic: side === 'L' ? topics.left : topics.right,
        key: JSON.stringify(`k${Math.floor(random() * options.keys)}`),
        value: JSON.stringify(`${side}${phase}-${i}`),
        timestamp: clock - late,
      })
    }
    phases.push(records)
  }
  return phases
}

/**
 * The stream–table join's input, one list per join phase: table updates (10 % of them deletes) in even phases,
 * stream events (5 % of them out of order) in odd ones, so each event meets the table as both systems have it then.
 */
export function streamTablePhases(
  topics: { stream: string; table: string },
  options: { start: number; phases: number; span: number; updates: number; events: number; keys: number },
): Input[][] {
  const random = seeded(11)
  const key = () => JSON.stringify(`c${Math.floor(random() * options.keys)}`)
  const phases: Input[][] = []
  for (let phase = 0; phase < options.phases; phase++) {
    const base = options.start + phase * options.span
    const records: Input[] = []
    const count = phase % 2 === 0 ? options.updates : options.events
    for (let i = 0; i < count; i++) {
      const timestamp = base + Math.floor((i * options.span) / count)
      if (phase % 2 === 0) {
        const value = random() < 0.1 ? null : JSON.stringify(`v${phase}-${i}`)
        records.push({ topic: topics.table, key: key(), value, timestamp })
      } else {
        const late = random() < 0.05 ? Math.floor(random() * options.span) : 0
        records.push({
          topic: topics.stream,
          key: key(),
          value: JSON.stringify(`e${phase}-${i}`),
          timestamp: timestamp - late,
        })
      }
    }
    phases.push(records)
  }
  return phases
}

/** Clicks for the session windows: time forward by up to 40 ms, 5 % late by up to 15 s. */
export function sessionInputs(topic: string, options: { start: number; count: number; keys: number }): Input[] {
  const random = seeded(42)
  let clock = options.start
  const records: Input[] = []
  for (let i = 0; i < options.count; i++) {
    clock += Math.floor(random() * 40)
    const late = random() < 0.05 ? Math.floor(random() * 15_000) : 0
    const key = JSON.stringify(`s${Math.floor(random() * options.keys)}`)
    records.push({ topic, key, value: '1', timestamp: clock - late })
  }
  return records
}

/** One record per partition far ahead in time: closes every window still open on both sides. */
export function flush(topic: string, partitions: number, timestamp: number): Input[] {
  return Array.from({ length: partitions }, (_, partition) => ({
    topic,
    key: '"flush"',
    value: '"flush"',
    timestamp,
    partition,
  }))
}

/** Records as comparable lines (key, canonical JSON value, and the timestamp when asked), sorted. */
export function lines(records: ConsumedRecord[], withTimestamp: boolean): string[] {
  return records
    .map((r) => {
      const value = r.value === null ? 'null' : JSON.stringify(JSON.parse(r.value.toString()))
      return `${r.key?.toString()} ${value}${withTimestamp ? ` @${r.timestamp}` : ''}`
    })
    .sort()
}

/** What one side has and the other has not (a multiset difference), for a readable failure. */
export function missingFrom(expected: string[], actual: string[]): string[] {
  const counts = new Map<string, number>()
  for (const line of actual) counts.set(line, (counts.get(line) ?? 0) + 1)
  const missing: string[] = []
  for (const line of expected) {
    const n = counts.get(line) ?? 0
    if (n === 0) missing.push(line)
    else counts.set(line, n - 1)
  }
  return missing
}
