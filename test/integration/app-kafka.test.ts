// The core's agent features over a real broker: default topics, ask with a per-process reply topic, map and join
// at volume, groupBy repartition topics, topic sinks; and the start-up errors a user meets first.
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { App, float, record, type Stream, str } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'

const Transfer = record('test.kafka.Transfer', { account_id: str(), amount: float() })
type Transfer = InstanceType<typeof Transfer>

const apps: App[] = []
function kafkaApp(options: Record<string, unknown> = {}): App {
  const app = new App(`it-${randomUUID().slice(0, 8)}`, {
    broker: `kafka://${inject('kafkaBootstrap')}`,
    logLevel: 'silent',
    topicPartitions: 4,
    ...options,
  })
  apps.push(app)
  return app
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()))
})

describe('agents on Kafka', () => {
  it('ask, map and join through the reply topic; sinks to a topic; groupBy through a repartition topic', async () => {
    const app = kafkaApp()
    const pow2 = app.agent(async function* pow2(stream: Stream<number>) {
      for await (const value of stream) yield value * value
    })
    const out = app.topic(`${app.id}-sunk`, { valueType: 'json' })
    const sunk: number[] = []
    app.task(async () => {
      for await (const value of out.stream()) sunk.push(value as number)
    })
    const doubler = app.agent(
      async function* doubler(stream: Stream<number>) {
        for await (const value of stream) yield value * 2
      },
      { sink: [out] },
    )
    const transfers = app.topic(`${app.id}-transfers`, { valueType: Transfer })
    const owners = new Map<string, Set<number | undefined>>()
    app.agent(transfers, async function totals(stream: Stream<Transfer>) {
      const grouped = stream.groupBy(Transfer.fields.account_id)
      for await (const transfer of grouped) {
        if (!owners.has(transfer.account_id)) owners.set(transfer.account_id, new Set())
        owners.get(transfer.account_id)!.add(grouped.current?.partition)
      }
    })
    await app.start()
    expect(pow2.channel.name).toBe(`${app.id}-pow2`)
    expect(await pow2.ask(12)).toBe(144)
    const values = Array.from({ length: 2000 }, (_, i) => i)
    expect(await pow2.join(values)).toEqual(values.map((v) => v * v))
    const mapped: number[] = []
    for await (const r of pow2.map(values.slice(0, 500))) mapped.push(r)
    expect(mapped.sort((a, b) => a - b)).toEqual(values.slice(0, 500).map((v) => v * v))

    for (const v of [1, 2, 3]) await doubler.cast(v)
    await waitFor(() => sunk.length === 3, 30_000)
    expect(sunk.sort()).toEqual([2, 4, 6])

    for (let i = 0; i < 40; i++) {
      await transfers.send({ value: new Transfer({ account_id: `acct-${i % 5}`, amount: i }) })
    }
    await waitFor(() => [...owners.values()].reduce((n, s) => n + s.size, 0) >= 5 && owners.size === 5, 30_000)
    expect(app.topics.has(`totals-${app.id}-transfers-Transfer.account_id-repartition`)).toBe(true)
    for (const partitions of owners.values()) expect(partitions.size).toBe(1)
  })

  it('a topic declared with another partition count than the existing one fails at start, naming both', async () => {
    const first = kafkaApp()
    const name = `${first.id}-fixed`
    first.topic(name, { partitions: 2 })
    await first.start()
    await first.stop()
    const second = kafkaApp()
    second.topic(name, { partitions: 3 })
    await expect(second.start()).rejects.toMatchObject({ code: 'FST_TOPIC_PARTITIONS_MISMATCH' })
  })

  it('an unreachable broker is a typed error within the connect deadline', async () => {
    const app = new App('unreachable', {
      broker: 'kafka://127.0.0.1:1',
      brokerConnectTimeoutMs: 2000,
      logLevel: 'silent',
    })
    // A deadline that is not kept would leave start() pending and time the test out.
    await expect(app.start()).rejects.toMatchObject({ code: 'FST_BROKER_UNAVAILABLE' })
  })
})
