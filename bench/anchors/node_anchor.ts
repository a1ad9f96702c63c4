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
import { App, type Stream } from '../../src/index.ts'
import { rawCopy } from '../kafka/raw.ts'

const [system, bootstrap, group, source, sink, records, partitions, store] = process.argv.slice(2)
const total = Number(records)
let seen = 0

function announce(what: string): void {
  process.stdout.write(`${what} ${Date.now()}\n`)
}

function mark(): void {
  seen++
  if (seen === 1) announce('ANCHOR_FIRST')
  if (seen === total) announce('ANCHOR_DONE')
}

function faustusApp(options: Record<string, unknown> = {}): App {
  return new App(group, {
    broker: `kafka://${bootstrap}`,
    logLevel: 'error',
    topicPartitions: Number(partitions),
    stopTimeoutMs: 5_000,
    revokeTimeoutMs: 5_000,
    ...options,
  })
}

async function passthrough(guarantee: 'at_least_once' | 'exactly_once'): Promise<App> {
  const app = faustusApp({ processingGuarantee: guarantee })
  const input = app.topic(source, { valueType: 'raw' })
  const output = app.topic(sink, { valueType: 'raw' })
  app.agent(
    input,
    async function* passthrough(stream: Stream<unknown>) {
      for await (const value of stream) {
        mark()
        yield value
      }
    },
    { sink: [output] },
  )
  await app.start()
  return app
}

async function count(): Promise<App> {
  const app = faustusApp({ store: store ?? 'memory://' })
  const counts = app.table<string, number>('counts', { default: () => 0, standbys: 0 })
  app.agent(app.topic(source, { keyType: 'raw', valueType: 'raw' }), async function count(stream: Stream<unknown>) {
    for await (const _value of stream) {
      const key = stream.current?.key as Buffer
      counts.update(key.toString('latin1'), (n) => n + 1)
      mark()
    }
  })
  await app.start()
  return app
}

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
    const app = await passthrough(system.endsWith('-eos') ? 'exactly_once' : 'at_least_once')
    await stopped
    await app.stop()
    break
  }
  case 'faustus-count': {
    const app = await count()
    await stopped
    await app.stop()
    break
  }
  default:
    process.stderr.write(`unknown system ${system}\n`)
    process.exit(2)
}
process.exit(0)
