/**
 * The exactly-once memory tests' worker: an agent relaying each input of `{prefix}-in` to `{prefix}-out` (4
 * partitions, JSON) and counting inputs per key in the table `{prefix}-counts`, committing every 20 ms or 150 acks.
 */
import type { App, AppOptions, Stream } from '../../src/index.ts'
import { MemoryTransport } from '../../src/transport/memory/transport.ts'
import type { ConsumedRecord } from '../../src/transport/types.ts'
import { partitionsOf, readToEnd, testApp } from '../helpers.ts'

export function relayWorker(apps: App[], broker: string, id: string, prefix: string, options: AppOptions = {}) {
  const app = testApp(id, {
    broker,
    processingGuarantee: 'exactly_once',
    brokerCommitIntervalMs: 20,
    brokerCommitEvery: 150,
    ...options,
  })
  apps.push(app)
  const source = app.topic(`${prefix}-in`, { partitions: 4, valueType: 'json', keyType: 'json' })
  const sink = app.topic(`${prefix}-out`, { partitions: 4, valueType: 'json', keyType: 'json' })
  const counts = app.table<string, number>(`${prefix}-counts`, { default: () => 0, partitions: 4 })
  app.agent(
    source,
    async function* relay(stream: Stream<number, string>) {
      for await (const event of stream.events()) {
        const key = event.key as string
        counts.set(key, (counts.get(key) ?? 0) + 1)
        yield { key, value: event.value }
      }
    },
    { sink: [(result: { key: string; value: number }) => sink.forward({ key: result.key, value: result.value })] },
  )
  return { app, counts }
}

/** Every record of a 4-partition topic a read_committed reader sees, to its end. */
export async function committedRecords(broker: string, topic: string): Promise<ConsumedRecord[]> {
  const transport = new MemoryTransport({ url: broker })
  try {
    return await readToEnd(transport, partitionsOf(topic, 4))
  } finally {
    await transport.close()
  }
}
