/**
 * The Faustus apps of the anchors benchmark, shared by the one-process runner (node_anchor.ts) and the module that
 * `faustus worker --processes N` loads (faustus_worker.ts).
 */
import { App, type Event, type Stream } from '../../src/index.ts'

export interface AnchorApp {
  bootstrap: string
  group: string
  source: string
  partitions: number
  /** Called with each record's event once it is processed. */
  onRecord(event: Event<unknown, unknown>): void
}

function faustusApp(config: AnchorApp, options: Record<string, unknown> = {}): App {
  return new App(config.group, {
    broker: `kafka://${config.bootstrap}`,
    logLevel: 'error',
    topicPartitions: config.partitions,
    stopTimeoutMs: 5_000,
    revokeTimeoutMs: 5_000,
    ...options,
  })
}

/** An agent yielding every value to `sink`. */
export function passthroughApp(config: AnchorApp & { sink: string; guarantee: 'at_least_once' | 'exactly_once' }): App {
  const app = faustusApp(config, { processingGuarantee: config.guarantee })
  const input = app.topic(config.source, { valueType: 'raw' })
  const output = app.topic(config.sink, { valueType: 'raw' })
  app.agent(
    input,
    async function* passthrough(stream: Stream<unknown>) {
      for await (const value of stream) {
        config.onRecord(stream.current!)
        yield value
      }
    },
    { sink: [output] },
  )
  return app
}

/** An agent counting per key in a table with its changelog; `store` is memory:// or lmdb://dir. */
export function countApp(config: AnchorApp & { store: string }): App {
  const app = faustusApp(config, { store: config.store })
  const counts = app.table<string, number>('counts', { default: () => 0, standbys: 0 })
  app.agent(
    app.topic(config.source, { keyType: 'raw', valueType: 'raw' }),
    async function count(stream: Stream<unknown>) {
      for await (const _value of stream) {
        const event = stream.current!
        counts.update((event.key as Buffer).toString('latin1'), (n) => n + 1)
        config.onRecord(event)
      }
    },
  )
  return app
}

export function announce(what: string): void {
  process.stdout.write(`${what} ${Date.now()}\n`)
}
