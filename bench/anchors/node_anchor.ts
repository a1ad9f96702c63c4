/**
 * The Node side of `npm run bench -- anchors` (bench/anchors.ts), one system per process so its CPU and memory
 * can be read from /proc:
 *
 *   node --import tsx bench/anchors/node_anchor.ts <system> <bootstrap> <group> <source> <sink or -> <records> <partitions> [store]
 *
 *   raw-passthrough       the @platformatic/kafka consume-and-produce loop of bench/kafka/raw.ts
 *   faustus-passthrough   a Faustus agent yielding every value, the sink topic as its sink (at-least-once)
 *   faustus-passthrough-eos  the same with processingGuarantee exactly_once
 *   faustus-count         a Faustus agent counting per key in a table with its changelog (store: memory:// or lmdb://dir)
 *
 * Prints "ANCHOR_FIRST <epoch ms>" at the first record and "ANCHOR_DONE <epoch ms>" at the last one processed,
 * then waits for SIGTERM.
 */
import { rawCopy } from '../kafka/raw.ts'
import { announce, countApp, passthroughApp } from './faustus_apps.ts'

const [system, bootstrap, group, source, sink, records, partitions, store] = process.argv.slice(2)
const total = Number(records)
let seen = 0

function mark(): void {
  seen++
  if (seen === 1) announce('ANCHOR_FIRST')
  if (seen === total) announce('ANCHOR_DONE')
}

const config = { bootstrap, group, source, partitions: Number(partitions), onRecord: mark }

// Held open until the harness says stop (the raw loop closes its clients when done, leaving nothing else alive).
const keepAlive = setInterval(() => {}, 1 << 30)
const stopped = new Promise<void>((resolve) => {
  process.once('SIGTERM', () => resolve())
  process.once('SIGINT', () => resolve())
}).finally(() => clearInterval(keepAlive))

switch (system) {
  case 'raw-passthrough': {
    // rawCopy times itself from creating the consumer; the harness times from the first record instead.
    announce('ANCHOR_STARTING')
    await rawCopy(bootstrap, source, sink, total, mark)
    await stopped
    break
  }
  case 'faustus-passthrough':
  case 'faustus-passthrough-eos': {
    const guarantee = system.endsWith('-eos') ? 'exactly_once' : 'at_least_once'
    const app = passthroughApp({ ...config, sink, guarantee })
    await app.start()
    await stopped
    await app.stop()
    break
  }
  case 'faustus-count': {
    const app = countApp({ ...config, store: store ?? 'memory://' })
    await app.start()
    await stopped
    await app.stop()
    break
  }
  default:
    process.stderr.write(`unknown system ${system}\n`)
    process.exit(2)
}
process.exit(0)
