/** The results table of the Faust benchmark as a PNG bar chart, drawn by chart.py with the venv's matplotlib. */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { log, ROOT } from './harness.ts'

export interface Row {
  workload: string
  unit: string
  /** Throughputs: true; latencies: false (the ratio is then Python / Faustus). */
  higherIsBetter: boolean
  python: number
  faustus: number
}

/** Returns the PNG path, or undefined when matplotlib is not available (the JSON is still written). */
export async function drawChart(python: string, jsonPath: string, pngPath: string): Promise<string | undefined> {
  try {
    await promisify(execFile)(python, [join(ROOT, 'bench/faust/chart.py'), jsonPath, pngPath], { timeout: 120_000 })
    return pngPath
  } catch (error) {
    log(`chart skipped: ${(error as { stderr?: string }).stderr?.trim() || String(error)}`)
    return undefined
  }
}
