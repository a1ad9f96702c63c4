import { setFlagsFromString } from 'node:v8'

/**
 * How far V8 lets the JS heap grow past what was live at the last full collection before it collects again.
 * V8's own rule grows it up to 4x the live set when collecting is cheap, which for a worker streaming records (small
 * live set, a high rate of short-lived records, many promoted while they wait in fetch, stream and producer
 * buffers) means a peak RSS of several times what it holds. The flag is process-wide and read at each collection,
 * so setting it on a running process takes effect from the next full collection.
 */
let applied: number | undefined

/** Applies `workerHeapGrowthPercent` (0 leaves V8's rule); a later worker start with another value replaces it. */
export function applyHeapGrowth(percent: number): void {
  if (percent === applied) return
  // 0 restores V8's own rule (the flag's default, 0, means "not set").
  setFlagsFromString(`--heap-growing-percent=${percent}`)
  applied = percent
}
