// Static membership: a second worker started with the same group instance id takes the first one's place. The
// first is fenced (FENCED_INSTANCE_ID): it stops with FST_GROUP_INSTANCE_FENCED instead of rejoining, which would
// fence the newcomer in turn, and the newcomer keeps consuming.
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { App, isFaustusError, type Stream } from '../../src/index.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { waitFor } from '../helpers.ts'
import { quietLogger } from './kafka-helpers.ts'

const apps: App[] = []
afterAll(async () => {
  for (const app of apps) await app.stop()
})

describe('a fenced static member', () => {
  it('stops with FST_GROUP_INSTANCE_FENCED and the worker that took its id goes on', async () => {
    const run = randomUUID().slice(0, 8)
    const bootstrap = inject('kafkaBootstrap')
    const seen = { first: 0, second: 0 }
    const worker = (name: 'first' | 'second') => {
      const app = new App(`fenced-${run}`, {
        broker: `kafka://${bootstrap}`,
        logLevel: 'silent',
        topicPartitions: 2,
        brokerCommitIntervalMs: 200,
        brokerGroupInstanceId: `fenced-${run}-worker`,
        brokerHeartbeatIntervalMs: 300,
        brokerSessionTimeoutMs: 10_000,
      })
      apps.push(app)
      const source = app.topic(`fenced-in-${run}`, { valueType: 'json' })
      app.agent(source, async function count(stream: Stream<number>) {
        for await (const _ of stream) seen[name]++
      })
      return app
    }
    const first = worker('first')
    await first.start()
    const stopped = first.done.then(
      () => undefined,
      (error: unknown) => error,
    )
    const second = worker('second')
    await second.start()
    const error = await stopped
    expect(isFaustusError(error, 'FST_GROUP_INSTANCE_FENCED')).toBe(true)
    expect((error as Error).message).toContain('group instance id')
    // The newcomer holds the partitions and consumes.
    const producer = new KafkaTransport({ url: `kafka://${bootstrap}`, logger: quietLogger() })
    await producer.connect()
    const send = producer.createProducer()
    await send.send(
      Array.from({ length: 10 }, (_, i) => ({ topic: `fenced-in-${run}`, key: null, value: Buffer.from(String(i)) })),
    )
    await waitFor(() => seen.second === 10, 60_000, 'the second worker to consume', { intervalMs: 50 })
    await send.close()
    await producer.close()
  })
})
