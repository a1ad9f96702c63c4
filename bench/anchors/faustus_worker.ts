/**
 * The app module of the anchors' N-process systems: `faustus -A bench/anchors/faustus_worker.ts worker --processes N`
 * runs it in N worker processes of one consumer group. Configured by the harness through ANCHOR_CONFIG (JSON).
 *
 * Each process prints "ANCHOR_FIRST <epoch ms>" at its first record (the harness takes the earliest) and, for each
 * source partition, "ANCHOR_PARTITION_<p> <epoch ms>" when it processes that partition's last record: no single
 * process sees every record, so the run is done when every partition's last record is.
 */
import type { Event } from '../../src/index.ts'
import { announce, countApp, passthroughApp } from './faustus_apps.ts'

interface WorkerConfig {
  workload: 'passthrough' | 'count'
  bootstrap: string
  group: string
  source: string
  sink: string
  partitions: number
  store: string
  /** The offset of each source partition's last record. */
  lastOffsets: number[]
}

const config = JSON.parse(process.env.ANCHOR_CONFIG ?? '{}') as WorkerConfig
let first = true

function onRecord(event: Event<unknown, unknown>): void {
  if (first) {
    first = false
    announce('ANCHOR_FIRST')
  }
  const message = event.message!
  if (message.offset === config.lastOffsets[message.partition]) announce(`ANCHOR_PARTITION_${message.partition}`)
}

const common = { ...config, onRecord }
export const app =
  config.workload === 'count' ? countApp(common) : passthroughApp({ ...common, guarantee: 'at_least_once' })
