import * as library from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { type BatchToEncode, encodable, encodeProduceRequest } from '../../src/transport/kafka/produce-encoding.ts'
import type { Message } from '../../src/transport/kafka/produce-requests.ts'

type CreateRequest = (
  acks: number,
  timeout: number,
  messages: Message[],
  options: Record<string, unknown>,
) => { buffer: Buffer }

function libraryRequest(version: number): CreateRequest {
  const api = (library as unknown as Record<string, { createRequest: CreateRequest }>)[`produceV${version}`]
  return api.createRequest
}

const t0 = 1_764_600_000_000n

/** Messages over two topics and three partitions: absent and empty keys, headers, timestamps out of order. */
function sample(): Message[] {
  const messages: Message[] = []
  for (let i = 0; i < 300; i++) {
    const topic = i % 7 === 0 ? 'other-topic' : 'output'
    messages.push({
      topic,
      partition: i % 3,
      key: i % 5 === 0 ? undefined : i % 11 === 0 ? Buffer.alloc(0) : Buffer.from(`key-${i}`),
      value: i % 13 === 0 ? undefined : Buffer.alloc(i % 4 === 0 ? 200 : 100, i),
      headers:
        i % 6 === 0
          ? new Map([
              [Buffer.from('trace'), Buffer.from(`t-${i}`)],
              [Buffer.from('empty'), Buffer.alloc(0)],
            ])
          : undefined,
      // Mostly rising, sometimes earlier than the batch's first (negative deltas), once 23 days later (a 5-byte
      // varint; from 2^31 ms on, the library's own encoding is wrong: see the last test).
      timestamp: i === 150 ? t0 + 2_000_000_000n : t0 + BigInt(i % 9 === 0 ? -i * 1000 : i * 37),
    })
  }
  return messages
}

/**
 * One batch per topic-partition, as the idempotent sender builds them, in the library's order (topics as they first
 * appear, partitions ascending within each): the order of a request's batches does not matter to the broker.
 */
function batchesOf(messages: Message[], firstSequence: (key: string) => number): BatchToEncode[] {
  const batches = new Map<string, BatchToEncode>()
  for (const m of messages) {
    const key = `${m.topic}:${m.partition}`
    let batch = batches.get(key)
    if (batch === undefined) {
      batch = {
        topic: m.topic,
        partition: m.partition!,
        messages: [],
        producerId: 4242n,
        producerEpoch: 3,
        firstSequence: firstSequence(key),
      }
      batches.set(key, batch)
    }
    batch.messages.push(m)
  }
  const topics = [...new Set(messages.map((m) => m.topic))]
  return [...batches.values()].sort(
    (a, b) => topics.indexOf(a.topic) - topics.indexOf(b.topic) || a.partition - b.partition,
  )
}

describe('kafka produce request encoding', () => {
  for (const transactionalId of [undefined, 'txn-app-0']) {
    for (const version of [3, 6, 8, 9, 11]) {
      it(`writes the library's bytes for Produce v${version}${transactionalId ? ', transactional' : ''}`, () => {
        const sequence = (key: string) => (key.length * 1000 + key.charCodeAt(key.length - 1)) % 2 ** 31
        const ours = encodeProduceRequest(batchesOf(sample(), sequence), {
          version,
          acks: -1,
          timeoutMs: 30_000,
          transactionalId,
        })
        const ordered = batchesOf(sample(), sequence).flatMap((b) => b.messages)
        const sequences = Object.assign(new Map<string, number>(), {
          getWithDefault: (key: string, fallback: number) => sequence(key) ?? fallback,
        })
        const theirs = libraryRequest(version)(-1, 30_000, ordered, {
          producerId: 4242n,
          producerEpoch: 3,
          sequences,
          compression: 'none',
          transactionalId,
        }).buffer
        let at = 0
        while (at < ours.length && ours[at] === theirs[at]) at++
        expect({ length: ours.length, firstDifference: at }).toEqual({
          length: theirs.length,
          firstDifference: theirs.length,
        })
      })
    }
  }

  it('writes timestamp deltas of 2^31 ms and more as the protocol says (zigzag over 64 bits)', () => {
    const far = 3_000_000_000_123
    const messages: Message[] = [0, far, -far].map((delta) => ({
      topic: 't',
      partition: 0,
      key: undefined,
      value: Buffer.from('v'),
      timestamp: t0 + BigInt(delta),
    }))
    const request = encodeProduceRequest([{ ...batchesOf(messages, () => 0)[0] }], {
      version: 11,
      acks: -1,
      timeoutMs: 1000,
    })
    // Each record: length, attributes (0), then the timestamp delta: find them after the 61-byte batch header.
    const deltas: number[] = []
    const readVarint = (at: number): [number, number] => {
      let value = 0
      let scale = 1
      for (;;) {
        const byte = request[at++]
        value += (byte & 0x7f) * scale
        scale *= 128
        if (byte < 128) return [value, at]
      }
    }
    // Request: transactional id (1), acks (2), timeout (4), topics (1), name (1 + 1), partitions (1), index (4),
    // records length (varint), then the batch.
    let [, at] = readVarint(15)
    at += 61
    for (let i = 0; i < 3; i++) {
      const [length, body] = readVarint(at)
      const [zigzag] = readVarint(body + 1)
      deltas.push(zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2)
      at = body + length / 2
    }
    expect(deltas).toEqual([0, far, -far])
  })

  it('leaves to the library what it does not write the same way', () => {
    const base: Message = { topic: 't', partition: 0, key: undefined, value: Buffer.from('v'), timestamp: t0 }
    expect(encodable([base])).toBe(true)
    expect(encodable([{ ...base, timestamp: undefined }])).toBe(false)
    expect(encodable([{ ...base, value: 'text' as unknown as Buffer }])).toBe(false)
    expect(encodable([{ ...base, timestamp: 2n ** 60n }])).toBe(false)
    expect(encodable([{ ...base, headers: { a: 'b' } as unknown as Map<Buffer, Buffer> }])).toBe(false)
  })
})
