// Exactly-once on the memory transport: outputs, table changes and offsets commit together or not at all.
import { describe, expect, it } from 'vitest'
import type { Stream } from '../../src/index.ts'
import { MemoryTransport } from '../../src/transport/memory/transport.ts'
import type { ConsumedRecord } from '../../src/transport/types.ts'
import { brokerOf, stopAfterEach, testApp, waitFor } from '../helpers.ts'

const apps = stopAfterEach()

const N = 2_000
const KEYS = 17

function worker(broker: string, id: string) {
  const app = testApp(id, {
    broker,
    processingGuarantee: (process.env.EOS_TEST_GUARANTEE as never) ?? 'exactly_once',
    brokerCommitIntervalMs: 20,
    brokerCommitEvery: 150,
  })
  apps.push(app)
  const source = app.topic('eos-in', { partitions: 4, valueType: 'json', keyType: 'json' })
  const sink = app.topic('eos-out', { partitions: 4, valueType: 'json', keyType: 'json' })
  const counts = app.table<string, number>('eos-counts', { default: () => 0, partitions: 4 })
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

/** Every record of a topic a read_committed reader sees, read to the last stable offset. */
async function readCommitted(broker: string, topic: string): Promise<ConsumedRecord[]> {
  const transport = new MemoryTransport({ url: broker })
  const partitions = [0, 1, 2, 3].map((partition) => ({ topic, partition }))
  const ends = await transport.listOffsets(partitions)
  const records: ConsumedRecord[] = []
  const positions = new Map<number, number>()
  const reader = transport.createConsumer({
    handler: {
      onAssigned: () => {},
      onRevoked: () => {},
      onRecords: (batch) => {
        records.push(...batch)
      },
      onPosition: (p) => {
        positions.set(p.partition, p.offset)
      },
    },
  })
  await reader.assign(partitions.map((tp) => ({ ...tp, offset: 0 })))
  await reader.start()
  await waitFor(() => ends.every((end) => (positions.get(end.partition) ?? 0) >= end.latest), 10_000, 'end offsets')
  await reader.close()
  return records
}

/**
 * The memory equivalent of kill -9: the broker breaks the worker's group member, so the group drops it without a
 * revoke (nothing committed on the way out) and gives its partitions to the others; its actors may still be
 * finishing events (a zombie), and its open transaction is left to be aborted.
 */
function kill(broker: string, memberId: string): void {
  void brokerOf(broker).group('eos-app').breakMember(memberId)
}

describe('exactly-once (memory)', () => {
  it('a worker killed mid-stream: every input gives exactly one committed output and the counts are exact', async () => {
    const broker = `memory://eos-${Math.random()}`
    const a = worker(broker, 'eos-app')
    await a.app.start()
    const [victim] = brokerOf(broker).group('eos-app').memberIds
    const b = worker(broker, 'eos-app')
    await b.app.start()
    const truth = new Map<string, number>()
    // Input from a plain producer (what the apps send themselves goes into their transactions).
    const input = new MemoryTransport({ url: broker }).createProducer()
    for (let i = 0; i < N; i++) {
      const key = `k${i % KEYS}`
      truth.set(key, (truth.get(key) ?? 0) + 1)
      await input.send([{ topic: 'eos-in', key: Buffer.from(JSON.stringify(key)), value: Buffer.from(String(i)) }])
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
      if (i === N / 2) kill(broker, victim)
    }
    // The killed worker stops with the broken member's error.
    await expect(a.app.done).rejects.toMatchObject({ code: expect.any(String) })
    const memory = brokerOf(broker)
    const group = memory.group(b.app.groupId)
    await waitFor(
      () =>
        [0, 1, 2, 3].every(
          (p) =>
            group.committed({ topic: 'eos-in', partition: p }) === memory.log({ topic: 'eos-in', partition: p }).latest,
        ),
      20_000,
      'every input committed',
    )
    const outputs = await readCommitted(broker, 'eos-out')
    const values = outputs.map((r) => JSON.parse(r.value!.toString()) as number).sort((x, y) => x - y)
    expect(values.length).toBe(N)
    expect(new Set(values).size).toBe(N)
    for (const [key, count] of truth) expect(b.counts.get(key)).toBe(count)
  })
})
