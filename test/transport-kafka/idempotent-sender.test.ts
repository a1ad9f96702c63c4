// The idempotent sender's sequence bookkeeping against a small model of the broker's producer state (per producer id
// and partition: the next sequence, and the batches written, which a retry with the same sequence gets back).
import { describe, expect, it } from 'vitest'
import { hasKafkaError } from '../../src/transport/kafka/errors.ts'
import {
  IdempotentSender,
  type PartitionBatch,
  partitionBatches,
  type SenderOptions,
  type SenderWire,
} from '../../src/transport/kafka/idempotent-sender.ts'
import { resolveConfig } from '../../src/transport/kafka/options.ts'
import type { Message } from '../../src/transport/kafka/produce-requests.ts'

const OUT_OF_ORDER = 45
const MESSAGE_TOO_LARGE = 10

class ModelBroker {
  /** The log of each partition: values in offset order. */
  readonly logs = new Map<string, string[]>()
  readonly #state = new Map<string, { next: number; written: Map<number, bigint> }>()
  #producerIds = 1000n
  /** Faults of the next sends, in order: write then lose the answer, fail before writing, or refuse a partition. */
  readonly faults: ('lose-answer' | 'unreachable' | `refuse:${string}`)[] = []

  wire(): SenderWire {
    return {
      initProducerId: async () => ({ producerId: this.#producerIds++, producerEpoch: 0 }),
      leaders: async (topics) =>
        new Map(topics.flatMap((t) => [0, 1].map((p) => [`${t}:${p}`, { host: 'b', port: 1 }]))),
      send: async (_leader, batches) => {
        const fault = this.faults.shift()
        if (fault === 'unreachable') throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })
        const responses = batches.map((b) => ({
          name: b.topic,
          partitionResponses: [{ index: b.partition, ...this.#write(b, fault === `refuse:${b.topic}:${b.partition}`) }],
        }))
        if (fault === 'lose-answer') throw Object.assign(new Error('connection reset'), { code: 'ECONNRESET' })
        return { responses }
      },
    }
  }

  #write(b: PartitionBatch, refuse: boolean): { errorCode: number; baseOffset: bigint } {
    const tp = `${b.topic}:${b.partition}`
    const key = `${b.session.id}/${tp}`
    const state = this.#state.get(key) ?? { next: 0, written: new Map() }
    this.#state.set(key, state)
    const already = state.written.get(b.sequence)
    if (already !== undefined) return { errorCode: 0, baseOffset: already }
    if (b.sequence !== state.next) return { errorCode: OUT_OF_ORDER, baseOffset: -1n }
    if (refuse) return { errorCode: MESSAGE_TOO_LARGE, baseOffset: -1n }
    const log = this.logs.get(tp) ?? []
    this.logs.set(tp, log)
    const offset = BigInt(log.length)
    log.push(...b.messages.map((m) => m.value!.toString()))
    state.written.set(b.sequence, offset)
    state.next += b.messages.length
    return { errorCode: 0, baseOffset: offset }
  }
}

function messages(partition: number, ...values: string[]): Message[] {
  return values.map((v) => ({ topic: 't', partition, value: Buffer.from(v) }))
}

function setup(options: SenderOptions = {}) {
  const broker = new ModelBroker()
  const config = resolveConfig([{ host: 'b', port: 1 }], { url: 'kafka://b:1' })
  config.faults.connected = true
  const sender = new IdempotentSender(config, broker.wire(), new AbortController().signal, options)
  return { broker, sender }
}

describe('IdempotentSender', () => {
  it('stores a batch once when the answers to its write are lost, keeping producer id and sequences', async () => {
    const { broker, sender } = setup()
    broker.faults.push('lose-answer', 'lose-answer', 'lose-answer')
    const result = await sender.send(messages(0, 'a', 'b'))
    await sender.send(messages(0, 'c'))
    expect(broker.logs.get('t:0')).toEqual(['a', 'b', 'c'])
    expect(result.offsets).toEqual([{ topic: 't', partition: 0, offset: 0n }])
    expect(sender.stats).toEqual({ sessions: 1, resequenced: 0 })
  })

  it('keeps the order of requests in flight when the first one did not reach the broker', async () => {
    const { broker, sender } = setup()
    broker.faults.push('unreachable')
    const first = sender.send(messages(0, 'a'))
    const second = sender.send(messages(0, 'b'))
    await Promise.all([first, second])
    // Both go out at once; the second was refused as out of order, then went again after the first: same producer id.
    expect(broker.logs.get('t:0')).toEqual(['a', 'b'])
    expect(sender.stats).toEqual({ sessions: 1, resequenced: 0 })
  })

  it('sends batches behind a refused batch under a new producer id', async () => {
    const { broker, sender } = setup()
    broker.faults.push('refuse:t:0')
    const refused = sender.send(messages(0, 'too-large'))
    const next = sender.send([...messages(0, 'b'), ...messages(1, 'x')])
    // The broker's answer is found by its Kafka error id (as a refusal is recognised: FST_OUTPUT_REFUSED).
    const error = await refused.catch((e: unknown) => e)
    expect(hasKafkaError(error, 'MESSAGE_TOO_LARGE')).toBe(true)
    await next
    await sender.send(messages(0, 'c'))
    expect(broker.logs.get('t:0')).toEqual(['b', 'c'])
    expect(broker.logs.get('t:1')).toEqual(['x'])
    expect(sender.stats.sessions).toBe(2)
    expect(sender.stats.resequenced).toBe(1)
  })

  it('a transactional sender retries under its one producer id, and fails a batch behind a refused one', async () => {
    const { broker, sender } = setup({ transactional: true })
    // A lost answer is retried with the same sequence: written once.
    broker.faults.push('lose-answer')
    await sender.send(messages(0, 'a'))
    expect(broker.logs.get('t:0')).toEqual(['a'])
    // A refused batch leaves a gap the transaction's producer id cannot close: the batch behind it fails too (the
    // transaction aborts), instead of going out under another producer id outside the transaction.
    broker.faults.push('refuse:t:0')
    const refused = sender.send(messages(0, 'too-large'))
    const behind = sender.send(messages(0, 'b'))
    expect(hasKafkaError(await refused.catch((e: unknown) => e), 'MESSAGE_TOO_LARGE')).toBe(true)
    expect(hasKafkaError(await behind.catch((e: unknown) => e), 'OUT_OF_ORDER_SEQUENCE_NUMBER')).toBe(true)
    expect(broker.logs.get('t:0')).toEqual(['a'])
    expect(sender.stats).toEqual({ sessions: 1, resequenced: 0 })
  })

  it('groups interleaved partitions into one batch each, in order, with consecutive sequences', () => {
    const session = { id: 1n, epoch: 0, next: new Map<string, number>() }
    const input = [
      ...messages(0, 'a', 'b'),
      ...messages(1, 'x'),
      ...messages(0, 'c'),
      { topic: 'u', partition: 0, value: Buffer.from('z') },
      ...messages(1, 'y'),
    ]
    const first = partitionBatches(input, session)
    const view = (batches: PartitionBatch[]) =>
      batches.map((b) => [`${b.topic}:${b.partition}`, b.sequence, b.messages.map((m) => m.value!.toString())])
    expect(view(first)).toEqual([
      ['t:0', 0, ['a', 'b', 'c']],
      ['t:1', 0, ['x', 'y']],
      ['u:0', 0, ['z']],
    ])
    expect(view(partitionBatches(messages(0, 'd'), session))).toEqual([['t:0', 3, ['d']]])
  })
})
