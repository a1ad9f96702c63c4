import { describe, expect, it } from 'vitest'
import {
  assignOffsets,
  type Message,
  recordSize,
  splitByBatchBytes,
} from '../../src/transport/kafka/produce-requests.ts'
import type { RecordMetadata } from '../../src/transport/types.ts'

const msg = (topic: string, partition: number, bytes: number): Message => ({
  topic,
  partition,
  key: undefined,
  value: Buffer.alloc(bytes),
})

describe('kafka produce requests', () => {
  it('keeps each partition batch under the byte limit, in order', () => {
    const messages = [msg('a', 0, 400), msg('a', 1, 400), msg('a', 0, 400), msg('a', 0, 400), msg('a', 1, 10)]
    const requests = splitByBatchBytes(messages, 900)
    expect(requests.map((r) => r.length)).toEqual([3, 2])
    expect(requests.flat()).toEqual(messages)
    // A single record over the limit still goes (alone in its batch): the broker decides.
    expect(splitByBatchBytes([msg('a', 0, 5_000)], 900)).toHaveLength(1)
    expect(recordSize(msg('a', 0, 100))).toBeGreaterThan(100)
  })

  it('gives consecutive offsets per partition from each request base offset', () => {
    const requests = [[msg('a', 0, 1), msg('a', 1, 1), msg('a', 0, 1)], [msg('a', 0, 1)]]
    const metadata: RecordMetadata[] = requests.flat().map((m) => ({
      topic: m.topic,
      partition: m.partition!,
      offset: -1,
      timestamp: 0,
    }))
    assignOffsets(
      requests,
      [
        {
          offsets: [
            { topic: 'a', partition: 0, offset: 10n },
            { topic: 'a', partition: 1, offset: 5n },
          ],
        },
        { offsets: [{ topic: 'a', partition: 0, offset: 12n }] },
      ],
      metadata,
    )
    expect(metadata.map((m) => m.offset)).toEqual([10, 5, 11, 12])
  })
})
