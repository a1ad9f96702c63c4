/**
 * The executable form of `src/transport/types.ts`: every driver runs this suite (memory in unit tests, Kafka in
 * integration tests against a shared broker). Names are unique per test, and waits poll with generous deadlines.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import type {
  Consumer,
  ConsumerOptions,
  Producer,
  TransactionalProducer,
  Transport,
} from '../../src/transport/types.ts'
import { waitFor } from '../helpers.ts'
import { consumingContract } from './transport-consuming.ts'
import { type ContractContext, Recorder, uniqueName } from './transport-helpers.ts'
import { transactionsContract } from './transport-transactions.ts'

export interface TransportFixture {
  transport: Transport
  cleanup?: () => Promise<void>
}

export interface TransportContractOptions {
  /** Deadline of each wait (default 30 s). */
  waitMs?: number
  /** Per-test timeout (default 120 s). */
  testTimeoutMs?: number
}

export function transportContract(
  name: string,
  makeTransport: () => Promise<TransportFixture>,
  options: TransportContractOptions = {},
): void {
  const wait = { timeoutMs: options.waitMs ?? 30_000 }

  describe(`transport contract: ${name}`, { timeout: options.testTimeoutMs ?? 120_000 }, () => {
    let fixture: TransportFixture
    let transport: Transport
    const closeAfterTest: { close(): Promise<void> }[] = []
    const createdTopics: string[] = []

    beforeAll(async () => {
      fixture = await makeTransport()
      transport = fixture.transport
      await transport.connect()
    })

    afterEach(async () => {
      for (const c of closeAfterTest.splice(0).reverse()) await c.close()
    })

    afterAll(async () => {
      if (!transport) return
      if (createdTopics.length > 0) await transport.deleteTopics(createdTopics)
      await transport.close()
      await fixture.cleanup?.()
    })

    async function topic(partitions: number, prefix = 'contract'): Promise<string> {
      const name = uniqueName(prefix)
      await transport.ensureTopics([{ name, partitions, replicas: 1 }])
      createdTopics.push(name)
      return name
    }

    function producer(): Producer {
      const p = transport.createProducer()
      closeAfterTest.push(p)
      return p
    }

    function consumer(recorder: Recorder, opts: Omit<ConsumerOptions, 'handler'>): Consumer {
      const c = transport.createConsumer({ ...opts, handler: recorder })
      recorder.consumer = c
      closeAfterTest.push(c)
      return c
    }

    async function sendValues(p: Producer, topicName: string, partition: number, values: string[]) {
      return p.send(values.map((v) => ({ topic: topicName, partition, key: null, value: Buffer.from(v) })))
    }

    function transactional(transactionalId: string): TransactionalProducer {
      const p = transport.createTransactionalProducer({ transactionalId, lingerMs: 1 })
      closeAfterTest.push(p)
      return p
    }

    const ctx: ContractContext = {
      transport: () => transport,
      wait,
      topic,
      producer,
      consumer,
      sendValues,
      transactional,
    }

    describe('topics', () => {
      it('creates, describes and leaves existing topics alone', async () => {
        const name = await topic(3)
        const missing = uniqueName('missing')
        const described = await transport.describeTopics([name, missing])
        expect(described.get(name)).toEqual({ name, partitions: 3 })
        expect(described.has(missing)).toBe(false)
        await transport.ensureTopics([{ name, partitions: 3 }])
        expect((await transport.describeTopics([name])).get(name)?.partitions).toBe(3)
      })

      it('fails with FST_TOPIC_PARTITIONS_MISMATCH naming the topic and both counts', async () => {
        const name = await topic(2)
        const error = await transport.ensureTopics([{ name, partitions: 5 }]).catch((e: unknown) => e)
        expect(isFaustusError(error, 'FST_TOPIC_PARTITIONS_MISMATCH')).toBe(true)
        expect((error as Error).message).toContain(name)
        expect((error as Error).message).toMatch(/2\b[\s\S]*5\b/)
        expect((error as { details: object }).details).toMatchObject({ topic: name, existing: 2, declared: 5 })
      })

      it('deletes topics', async () => {
        const name = uniqueName('deleted')
        await transport.ensureTopics([{ name, partitions: 1 }])
        await transport.deleteTopics([name])
        await waitFor(async () => !(await transport.describeTopics([name])).has(name), wait.timeoutMs, 'topic deletion')
      })
    })

    describe('producing', () => {
      it('round-trips keys, values, headers and timestamps', async () => {
        const name = await topic(1)
        const p = producer()
        const timestamp = Date.UTC(2024, 0, 2, 3, 4, 5)
        const sent = await p.send([
          {
            topic: name,
            key: Buffer.from('k1'),
            value: Buffer.from('v1'),
            headers: { a: 'x', b: Buffer.from([1, 2]) },
            timestamp,
          },
          { topic: name, key: null, value: null, timestamp: timestamp + 1 },
        ])
        expect(sent.map((m) => [m.topic, m.partition, m.offset, m.timestamp])).toEqual([
          [name, 0, 0, timestamp],
          [name, 0, 1, timestamp + 1],
        ])
        const r = new Recorder()
        await consumer(r, { groupId: uniqueName('g'), topics: [name] }).start()
        await waitFor(() => r.records.length === 2, wait.timeoutMs, 'two records')
        const [first, second] = r.records
        expect(first).toMatchObject({ topic: name, partition: 0, offset: 0, timestamp })
        expect(first.key?.toString()).toBe('k1')
        expect(first.value?.toString()).toBe('v1')
        expect(first.headers.a?.toString()).toBe('x')
        expect([...(first.headers.b ?? [])]).toEqual([1, 2])
        expect(second).toMatchObject({ offset: 1, key: null, value: null, timestamp: timestamp + 1 })
      })

      it('gives consecutive offsets per partition across sends', async () => {
        const name = await topic(2)
        const p = producer()
        const first = await sendValues(p, name, 1, ['a', 'b', 'c'])
        const second = await sendValues(p, name, 1, ['d'])
        const other = await sendValues(p, name, 0, ['e'])
        expect([...first, ...second].map((m) => m.offset)).toEqual([0, 1, 2, 3])
        expect(other[0]).toMatchObject({ partition: 0, offset: 0 })
        await p.flush()
      })

      it('partitions keyed records with murmur2 as the Java client', async () => {
        const name = await topic(7)
        const keys = Array.from({ length: 50 }, (_, i) => Buffer.from(`key-${i}`))
        const sent = await producer().send(keys.map((key) => ({ topic: name, key, value: key })))
        sent.forEach((m, i) => {
          expect(m.partition).toBe(partitionForKey(keys[i], 7))
        })
      })

      it('spreads records without key round-robin', async () => {
        const name = await topic(4)
        const p = producer()
        const sent = await p.send(
          Array.from({ length: 8 }, () => ({ topic: name, key: null, value: Buffer.from('x') })),
        )
        for (let s = 0; s < 4; s++) await p.send([{ topic: name, key: null, value: Buffer.from('y') }])
        const offsets = await transport.listOffsets([0, 1, 2, 3].map((partition) => ({ topic: name, partition })))
        expect(offsets.map((o) => o.latest)).toEqual([3, 3, 3, 3])
        expect(new Set(sent.map((m) => m.partition)).size).toBe(4)
      })

      it('honours an explicit partition, even with a key', async () => {
        const name = await topic(3)
        const key = Buffer.from('some-key')
        const partition = (partitionForKey(key, 3) + 1) % 3
        const [m] = await producer().send([{ topic: name, partition, key, value: Buffer.from('v') }])
        expect(m.partition).toBe(partition)
      })

      it('lists earliest and latest offsets', async () => {
        const name = await topic(2)
        await sendValues(producer(), name, 0, ['a', 'b', 'c'])
        const offsets = await transport.listOffsets([
          { topic: name, partition: 0 },
          { topic: name, partition: 1 },
        ])
        expect(offsets).toEqual([
          { topic: name, partition: 0, earliest: 0, latest: 3 },
          { topic: name, partition: 1, earliest: 0, latest: 0 },
        ])
      })
    })

    consumingContract(ctx)
    transactionsContract(ctx)
  })
}
