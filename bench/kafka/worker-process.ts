/**
 * The passthrough worker's memory measured alone: `passthrough-once.ts run` in a child process (this process has
 * filled the topic and run the raw loop, whose heap would count in its own RSS).
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export interface WorkerProcessRun {
  records: number
  eventsPerSecond: number
  cpuMicrosPerRecord: number
  peakRssMb: number
  timedOut: boolean
}

const script = fileURLToPath(new URL('./passthrough-once.ts', import.meta.url))

export async function passthroughInOwnProcess(options: {
  bootstrap: string
  input: string
  records: number
  partitions: number
}): Promise<WorkerProcessRun> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, 'run'], {
    env: {
      ...process.env,
      FAUSTUS_TEST_KAFKA: options.bootstrap,
      BENCH_INPUT: options.input,
      BENCH_RECORDS: String(options.records),
      BENCH_PARTITIONS: String(options.partitions),
    },
    maxBuffer: 16 * 2 ** 20,
  })
  // The child prints one JSON line with its figures last.
  const line = stdout.trim().split('\n').at(-1) ?? ''
  try {
    return JSON.parse(line) as WorkerProcessRun
  } catch {
    throw new Error(`passthrough-once.ts printed no result line: ${stdout.slice(-500)}`)
  }
}
