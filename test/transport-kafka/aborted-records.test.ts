// read_committed filtering of aborted transactions when a transaction's records are split over fetch responses (a
// response ends at the fetch's byte limit before the transaction's ABORT marker): none of its records may be
// delivered, from either response. The broker lists the aborted transaction in both responses.
import { IS_CONTROL, IS_TRANSACTIONAL, type RecordsBatch } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { abortedTransactionsOf, withOwnAbortedFilter } from '../../src/transport/kafka/aborted-list.ts'
import { toConsumedRecords } from '../../src/transport/kafka/records.ts'

/** A batch of `count` records from `offset`, by `producerId`, transactional or not. */
function batch(offset: number, count: number, producerId: bigint, transactional = true): RecordsBatch {
  return {
    firstOffset: BigInt(offset),
    lastOffsetDelta: count - 1,
    attributes: transactional ? IS_TRANSACTIONAL : 0,
    producerId,
    firstTimestamp: 0n,
    maxTimestamp: 0n,
    records: Array.from({ length: count }, (_, i) => ({
      attributes: 0,
      timestampDelta: 0n,
      offsetDelta: i,
      key: null,
      value: Buffer.from(`${producerId}@${offset + i}`),
      headers: [],
    })),
  } as unknown as RecordsBatch
}

/** A transaction marker (control batch) at `offset`: ABORT (type 0) or COMMIT (type 1). */
function marker(offset: number, producerId: bigint, type: 'abort' | 'commit'): RecordsBatch {
  const key = Buffer.alloc(4)
  key.writeInt16BE(0, 0)
  key.writeInt16BE(type === 'abort' ? 0 : 1, 2)
  const control = batch(offset, 1, producerId)
  return { ...control, attributes: IS_TRANSACTIONAL | IS_CONTROL, records: [{ ...control.records[0], key }] } as never
}

const values = (records: { value: Buffer | null }[]) => records.map((r) => r.value!.toString())

describe('read_committed: aborted transactions across fetch responses', () => {
  it('drops an aborted transaction whose ABORT marker is in the next response, from both responses', () => {
    // Producer 7 commits offsets 0-1 (marker 2); producer 9 writes 3-6 and aborts (marker 7); producer 7 commits 8.
    const aborted = [{ producerId: 9n, firstOffset: 3n }]
    const first = toConsumedRecords('t', 0, [batch(0, 2, 7n), marker(2, 7n, 'commit'), batch(3, 2, 9n)], 0, aborted)
    expect(values(first.records)).toEqual(['7@0', '7@1'])
    expect(first.nextOffset).toBe(5)
    const second = toConsumedRecords(
      't',
      0,
      [batch(5, 2, 9n), marker(7, 9n, 'abort'), batch(8, 1, 7n), marker(9, 7n, 'commit')],
      5,
      aborted,
    )
    expect(values(second.records)).toEqual(['7@8'])
    expect(second.nextOffset).toBe(10)
  })

  it('drops every aborted transaction of a producer in one response, and keeps its committed ones between', () => {
    // Producer 9: aborted 0-1 (marker 2), committed 3 (marker 4), aborted 5 (marker 6); non-transactional 7.
    const response = [
      batch(0, 2, 9n),
      marker(2, 9n, 'abort'),
      batch(3, 1, 9n),
      marker(4, 9n, 'commit'),
      batch(5, 1, 9n),
      marker(6, 9n, 'abort'),
      batch(7, 1, 9n, false),
    ]
    const aborted = [
      { producerId: 9n, firstOffset: 5n },
      { producerId: 9n, firstOffset: 0n },
    ]
    expect(values(toConsumedRecords('t', 0, response, 0, aborted).records)).toEqual(['9@3', '9@7'])
  })

  it('keeps everything when the response lists no aborted transaction', () => {
    const response = [batch(0, 2, 9n), marker(2, 9n, 'commit'), batch(3, 1, 4n, false)]
    expect(values(toConsumedRecords('t', 0, response, 0, []).records)).toEqual(['9@0', '9@1', '4@3'])
  })

  it('keeps committed transactions between an aborted one and an unlisted empty aborted one of the producer', () => {
    // An exactly-once worker's one producer id: aborted 0-1 (marker 2), committed 3-4 (marker 5), then a transaction
    // aborted with nothing written here: its ABORT marker (6) alone, which the broker does not list.
    const response = [
      batch(0, 2, 9n),
      marker(2, 9n, 'abort'),
      batch(3, 2, 9n),
      marker(5, 9n, 'commit'),
      marker(6, 9n, 'abort'),
    ]
    const read = toConsumedRecords('t', 0, response, 0, [{ producerId: 9n, firstOffset: 0n }])
    expect(values(read.records)).toEqual(['9@3', '9@4'])
    expect(read.nextOffset).toBe(7)
  })
})

// The reads a broker restart causes (fetch sessions reset, a response dropped and fetched again from an earlier
// offset, a fetch starting inside a transaction, one producer id across epochs): the broker lists every aborted
// transaction whose marker is at or after the fetch offset, so each read on its own must drop the aborted records.
describe('read_committed: aborted transactions in the reads of a broker restart', () => {
  // Producer 9 (one exactly-once worker across epochs): committed 0-1 (marker 2), aborted 3-6 (marker 7, written by
  // the epoch that fenced it), committed 8-9 (marker 10); producer 4 commits 11 (marker 12).
  const log = [
    batch(0, 2, 9n),
    marker(2, 9n, 'commit'),
    batch(3, 2, 9n),
    batch(5, 2, 9n),
    marker(7, 9n, 'abort'),
    batch(8, 2, 9n),
    marker(10, 9n, 'commit'),
    batch(11, 1, 4n),
    marker(12, 4n, 'commit'),
  ]
  const aborted = [{ producerId: 9n, firstOffset: 3n }]
  const committed = ['9@0', '9@1', '9@8', '9@9', '4@11']
  /** The log's batches a fetch from `from` gets (from the batch holding `from`, up to `upTo`), and what it reads. */
  const read = (from: number, upTo = 13) => {
    const batches = log.filter((b) => {
      const last = Number(b.firstOffset) + b.lastOffsetDelta
      return last >= from && Number(b.firstOffset) < upTo
    })
    // The broker lists the aborted transactions whose marker is at or after the fetch offset.
    const listed = from <= 7 ? aborted : []
    return toConsumedRecords('t', 0, batches, from, listed)
  }

  it('reads only committed records whatever offset a fetch starts at, inside the aborted transaction too', () => {
    for (let from = 0; from <= 12; from++) {
      expect(values(read(from).records)).toEqual(committed.filter((v) => Number(v.split('@')[1]) >= from))
    }
  })

  it('reads only committed records when responses end anywhere and the next fetch starts where one ended', () => {
    for (let cut = 1; cut <= 12; cut++) {
      const first = read(0, cut)
      const second = read(first.nextOffset)
      expect([...values(first.records), ...values(second.records)]).toEqual(committed)
    }
  })

  it('reads only committed records when a response is dropped and fetched again from an earlier offset', () => {
    // A fetch session reset: the response up to 5 is read, then everything again from 3 and from 0.
    const again = [read(0, 5), read(3), read(0)].flatMap((r) => values(r.records))
    expect(again).toEqual(['9@0', '9@1', ...committed.slice(2), ...committed])
  })
})

describe("the library's Fetch API, wrapped", () => {
  it("moves each partition's aborted transactions out of the library's reach, to ours", async () => {
    const aborted = [{ producerId: 9n, firstOffset: 0n }]
    const response = {
      responses: [{ topicId: 'id', partitions: [{ partitionIndex: 0, abortedTransactions: aborted, records: [] }] }],
    }
    const calls: unknown[][] = []
    const api = Object.assign(
      (_connection: unknown, ...args: unknown[]) => {
        const callback = args.pop() as (error: Error | null, result?: unknown) => void
        calls.push(args)
        callback(null, response)
      },
      { async: async () => response, key: 1, version: 17 },
    )
    const fetch = withOwnAbortedFilter(api as never) as typeof api
    expect(withOwnAbortedFilter(api as never)).toBe(fetch)
    expect([fetch.key, fetch.version, fetch.async]).toEqual([1, 17, api.async])
    // What the library's filter reads after the call: no aborted transactions, so it keeps every batch.
    const seen = await new Promise<typeof response>((resolve, reject) =>
      (fetch as (...args: unknown[]) => void)('connection', 500, 1, 'topics', (error: Error | null, result: never) =>
        error ? reject(error) : resolve(result),
      ),
    )
    expect(calls).toEqual([[500, 1, 'topics']])
    const partition = seen.responses[0].partitions[0]
    expect(partition.abortedTransactions).toBeNull()
    expect(abortedTransactionsOf(partition as never)).toBe(aborted)
  })

  it('moves them from the partial response of a failed fetch too', () => {
    const aborted = [{ producerId: 9n, firstOffset: 0n }]
    const partition = { partitionIndex: 0, abortedTransactions: aborted, records: [] }
    const failure = Object.assign(new Error('partial'), { response: { responses: [{ partitions: [partition] }] } })
    const api = Object.assign(
      (_connection: unknown, ...args: unknown[]) => (args.pop() as (error: Error) => void)(failure),
      { async: async () => undefined, key: 1, version: 17 },
    )
    let got: unknown
    ;(withOwnAbortedFilter(api as never) as (...args: unknown[]) => void)('connection', (error: unknown) => {
      got = error
    })
    expect(got).toBe(failure)
    expect(partition.abortedTransactions).toBeNull()
    expect(abortedTransactionsOf(partition as never)).toBe(aborted)
  })
})
