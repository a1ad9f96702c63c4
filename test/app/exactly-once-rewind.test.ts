// Exactly-once on the memory transport: a checkpoint whose transaction fails with a retriable error (the broker
// away, the coordinator aborting it) rewinds the worker in place instead of stopping it.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { RewindMessage } from '../../src/diagnostics.ts'
import { TransportError } from '../../src/errors.ts'
import type { App } from '../../src/index.ts'
import { MemoryTransactionalProducer } from '../../src/transport/memory/transactions.ts'
import { MemoryTransport } from '../../src/transport/memory/transport.ts'
import type { GroupMetadata, ProduceRecord, TopicPartitionOffset } from '../../src/transport/types.ts'
import { committedToEnd, waitFor } from '../helpers.ts'
import { committedRecords, relayWorker } from './relay-worker.ts'

const apps: App[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const app of apps.splice(0)) await app.stop()
})

const N = 2_000
const KEYS = 13
const PARTITIONS = [0, 1, 2, 3]

function worker(broker: string) {
  return relayWorker(apps, broker, 'rewind-app', 'rw')
}

type Failure = 'commit' | 'send' | 'changelog' | 'sequence' | 'member'

/** A Kafka protocol error as the client library reports it (its `apiId`). */
function kafka(apiId: string): Error {
  return Object.assign(new Error(apiId), { apiId })
}

/**
 * Feeds N records to one exactly-once worker; halfway, the next transaction fails as a broker restart makes it
 * fail. `commit`: the commit reports the broker away after the coordinator aborted the transaction. `send`: an
 * output's send fails after the client's retries (the transaction can no longer commit). `changelog`: the same for
 * a table's changelog records.
 */
async function runWithFailure(failure: Failure): Promise<void> {
  const broker = `memory://rewind-${Math.random()}`
  const { app, counts } = worker(broker)
  let failNext = false
  let failed = 0
  const away = () => new TransportError('FST_BROKER_UNAVAILABLE', 'the broker is away')
  // `sequence`: the producer's sequence numbers broke (as after a broker SIGTERM restart): that producer fails every
  // call from then on, as the Kafka client's does, until it is replaced.
  const broken = new WeakSet<MemoryTransactionalProducer>()
  const sequenceError = () =>
    new TransportError('FST_TRANSPORT', 'producing failed', { cause: kafka('OUT_OF_ORDER_SEQUENCE_NUMBER') })
  if (failure === 'sequence') {
    for (const method of ['send', 'abort', 'flush'] as const) {
      const original = MemoryTransactionalProducer.prototype[method] as (...args: unknown[]) => Promise<unknown>
      vi.spyOn(MemoryTransactionalProducer.prototype, method).mockImplementation(function (
        this: MemoryTransactionalProducer,
        ...args: unknown[]
      ) {
        if (broken.has(this)) return Promise.reject(sequenceError())
        return original.apply(this, args)
      } as never)
    }
  }
  if (failure === 'commit' || failure === 'sequence' || failure === 'member') {
    // Producers whose open transaction holds offsets (the checkpoint sends them ahead of its commit).
    const withOffsets = new WeakSet<MemoryTransactionalProducer>()
    const sendOffsets = MemoryTransactionalProducer.prototype.sendOffsets
    vi.spyOn(MemoryTransactionalProducer.prototype, 'sendOffsets').mockImplementation(async function (
      this: MemoryTransactionalProducer,
      offsets: TopicPartitionOffset[],
      group: GroupMetadata,
    ) {
      if (offsets.length > 0) withOffsets.add(this)
      return sendOffsets.call(this, offsets, group)
    })
    const commit = MemoryTransactionalProducer.prototype.commit
    vi.spyOn(MemoryTransactionalProducer.prototype, 'commit').mockImplementation(async function (
      this: MemoryTransactionalProducer,
    ) {
      if (broken.has(this)) throw sequenceError()
      if (withOffsets.delete(this) && failNext) {
        failNext = false
        failed++
        await this.abort()
        if (failure === 'sequence') {
          broken.add(this)
          throw sequenceError()
        }
        if (failure === 'member') {
          // The broker forgot this member (its session expired during an outage): the rewind rejoins.
          throw new TransportError('FST_PRODUCER_FENCED', 'offsets refused', { cause: kafka('UNKNOWN_MEMBER_ID') })
        }
        throw away()
      }
      return commit.call(this)
    })
  } else {
    const send = MemoryTransactionalProducer.prototype.send
    vi.spyOn(MemoryTransactionalProducer.prototype, 'send').mockImplementation(function (
      this: MemoryTransactionalProducer,
      records: ProduceRecord[],
    ) {
      const failing =
        failure === 'send' ? (topic: string) => topic === 'rw-out' : (topic: string) => topic.endsWith('changelog')
      if (failNext && records.some((r) => failing(r.topic))) {
        failNext = false
        failed++
        return Promise.reject(away())
      }
      return send.call(this, records)
    })
  }
  const rewinds: RewindMessage[] = []
  const onRewind = (message: unknown) => {
    rewinds.push(message as RewindMessage)
  }
  subscribe('faustus:rewind', onRewind)
  let stopped: unknown
  try {
    await app.start()
    app.done.then(
      () => {
        stopped = 'stopped'
      },
      (error) => {
        stopped = error
      },
    )
    const truth = new Map<string, number>()
    const input = new MemoryTransport({ url: broker }).createProducer()
    for (let i = 0; i < N; i++) {
      const key = `k${i % KEYS}`
      truth.set(key, (truth.get(key) ?? 0) + 1)
      await input.send([{ topic: 'rw-in', key: Buffer.from(JSON.stringify(key)), value: Buffer.from(String(i)) }])
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
      if (i === N / 2) failNext = true
    }
    await waitFor(
      () => stopped !== undefined || committedToEnd(app, 'rw-in', PARTITIONS),
      20_000,
      'every input committed',
    )
    expect(stopped).toBeUndefined()
    expect(failed).toBe(1)
    expect(rewinds.map((r) => r.phase)).toEqual(['start', 'end'])
    // In place while the member stays in the group; a rejoin once its membership is lost.
    expect(rewinds[1].method).toBe(failure === 'member' ? 'rejoin' : 'seek')
    const outputs = await committedRecords(broker, 'rw-out')
    const values = outputs.map((r) => JSON.parse(r.value!.toString()) as number).sort((x, y) => x - y)
    expect(values.length).toBe(N)
    expect(new Set(values).size).toBe(N)
    for (const [key, count] of truth) expect(counts.get(key)).toBe(count)
  } finally {
    unsubscribe('faustus:rewind', onRewind)
  }
}

describe('exactly-once rewind (memory)', () => {
  it('a transaction whose commit fails retriably: the worker rewinds and goes on, exactly one output per input', async () => {
    await runWithFailure('commit')
  })

  it('an output whose send fails retriably: the transaction is aborted, the worker rewinds, exactly one output per input', async () => {
    await runWithFailure('send')
  })

  it('a changelog write failing retriably: the transaction is aborted, the worker rewinds, the counts are exact', async () => {
    await runWithFailure('changelog')
  })

  it('a producer left unusable (OUT_OF_ORDER_SEQUENCE_NUMBER): the rewind replaces it and the worker goes on', async () => {
    await runWithFailure('sequence')
  })

  it('membership lost (UNKNOWN_MEMBER_ID): the rewind rejoins the group, exactly one output per input', async () => {
    await runWithFailure('member')
  })
})
