// The table cache: changelog records of plain tables coalesced per key until the checkpoint (or until the cache is
// full), as Kafka Streams' record cache; windowed and set tables write every change at once.
import { afterEach, describe, expect, it } from 'vitest'
import { isFaustusError, resolveSettings, type Stream } from '../../src/index.ts'
import { ChangelogWriter } from '../../src/tables/changelog.ts'
import type { ChangeOwner } from '../../src/tables/changelog-cache.ts'
import type { ProduceRecord, Producer, RecordMetadata } from '../../src/transport/types.ts'
import { openTransport, waitFor } from '../helpers.ts'
import { memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

const change = (key: string, value: string | null, partition = 0): ProduceRecord => ({
  topic: 'counts-changelog',
  partition,
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
})

const owner = (): ChangeOwner => ({ cached: undefined })

/**
 * A writer with `cacheMaxBytes`, attached to a producer recording what it was given (one array per send). The
 * producer never fails: a failure reported to the writer fails the test.
 */
function attachedWriter(cacheMaxBytes: number) {
  const sends: string[][] = []
  const producer = {
    send: async (records: ProduceRecord[]): Promise<RecordMetadata[]> => {
      sends.push(records.map((r) => `${r.partition}:${r.key}=${r.value?.toString() ?? null}`))
      return records.map((r, offset) => ({ topic: r.topic, partition: r.partition!, offset, timestamp: 0 }))
    },
  } as unknown as Producer
  const written = new ChangelogWriter({
    onWritten: () => {},
    onError: (error) => {
      throw error
    },
  })
  written.cacheMaxBytes = cacheMaxBytes
  written.attach(producer)
  return { sends, written }
}

describe('the changelog writer with a cache', () => {
  it('sends the last record of each key at the flush, keys in the order they were first changed', async () => {
    const { sends, written } = attachedWriter(1 << 20)
    const [a, b] = [owner(), owner()]
    written.coalesce(change('a', '1'), a)
    written.coalesce(change('b', '1'), b)
    written.coalesce(change('a', '2'), a)
    expect(written.pending).toBe(2)
    await new Promise((resolve) => setImmediate(resolve))
    expect(sends).toEqual([])
    written.coalesce(change('b', null), b)
    // The key written in another partition, then in the first one again: a record each, in order.
    written.coalesce(change('a', '2', 1), a)
    written.coalesce(change('a', '3'), a)
    // The key's owner made again (its table entry evicted): the new owner's record comes after the old one's.
    const a2 = owner()
    written.coalesce(change('a', '4'), a2)
    written.coalesce(change('a', '5'), a2)
    await written.flush()
    expect(sends).toEqual([['0:a=2', '0:b=null', '1:a=2', '0:a=3', '0:a=5']])
    expect(written.pending).toBe(0)
    // A new round: the owners' changes were sent, a later change is a new record.
    written.coalesce(change('a', '6'), a2)
    await written.flush()
    expect(sends.at(-1)).toEqual(['0:a=6'])
  })

  it('sends everything it holds once it holds more than its bytes, before any flush', async () => {
    // One record is 1 (key) + 1 (value) + 64 bytes: the second one goes over 100.
    const { sends, written } = attachedWriter(100)
    const [a, b, c] = [owner(), owner(), owner()]
    written.coalesce(change('a', '1'), a)
    written.coalesce(change('a', '2'), a)
    expect(sends).toEqual([])
    written.coalesce(change('b', '1'), b)
    expect(sends).toEqual([['0:a=2', '0:b=1']])
    written.coalesce(change('c', '1'), c)
    await written.flush()
    expect(sends).toEqual([['0:a=2', '0:b=1'], ['0:c=1']])
  })

  it('drops what it holds when a transaction is aborted (discard)', async () => {
    const { sends, written } = attachedWriter(1 << 20)
    const [a, b] = [owner(), owner()]
    written.coalesce(change('a', '1'), a)
    written.discard()
    written.coalesce(change('b', '1'), b)
    await written.flush()
    expect(sends).toEqual([['0:b=1']])
  })

  it('with 0 bytes, sends every change (no coalescing)', async () => {
    const { sends, written } = attachedWriter(0)
    const a = owner()
    written.coalesce(change('a', '1'), a)
    written.coalesce(change('a', '2'), a)
    await written.flush()
    expect(sends.flat()).toEqual(['0:a=1', '0:a=2'])
  })
})

describe('tableCacheMaxBytes', () => {
  it('defaults to 10 MiB, as Kafka Streams; 0 is allowed, a negative size refused naming the setting', () => {
    expect(resolveSettings({}, {}).tableCacheMaxBytes).toBe(10 * 1024 * 1024)
    expect(resolveSettings({ tableCacheMaxBytes: 0 }, {}).tableCacheMaxBytes).toBe(0)
    let refused: unknown
    try {
      resolveSettings({ tableCacheMaxBytes: -1 }, {})
    } catch (error) {
      refused = error
    }
    expect(isFaustusError(refused)).toBe(true)
    expect((refused as Error).message).toMatch(/tableCacheMaxBytes/)
  })

  it('a full cache reaches the changelog before any checkpoint; the checkpoint sends the rest', async () => {
    const app = worker('full', memoryBroker(), {
      topicPartitions: 1,
      brokerCommitIntervalMs: 3_600_000,
      // A record of this table is 3-4 bytes of key, 1 of value and 64 of overhead: two fit, the third spills.
      tableCacheMaxBytes: 150,
    })
    const counts = app.table<string, number>('counts', { default: () => 0, partitions: 1 })
    const input = app.topic('in', { valueType: 'json', partitions: 1 })
    let processed = 0
    app.agent(input, async function count(stream: Stream<string>) {
      for await (const word of stream) {
        counts.update(word, (n) => n + 1)
        processed++
      }
    })
    await app.start()
    for (const word of ['a', 'b', 'c', 'a', 'd']) await input.send({ value: word })
    await waitFor(() => processed === 5)
    const transport = await openTransport(app)
    const endOffset = async () =>
      (await transport.listOffsets([{ topic: counts.changelogTopic, partition: 0 }]))[0].latest
    // a, b, c spilled together at c; a and d wait for the checkpoint.
    await waitFor(async () => (await endOffset()) === 3, 5000, 'the spilled records')
    await transport.close()
    const changelog = await readTopic(app, counts.changelogTopic, 1)
    expect(changelog.map((r) => `${r.key}=${r.value}`)).toEqual(['"a"=1', '"b"=1', '"c"=1', '"a"=2', '"d"=1'])
  })

  it('windowed and set tables write every change at once, cache or not', async () => {
    const app = worker('uncached', memoryBroker(), { topicPartitions: 1, brokerCommitIntervalMs: 3_600_000 })
    const tags = app.setTable<string, string>('tags', { partitions: 1 })
    const perMinute = app.table<string, number>('minutes', { default: () => 0, partitions: 1 }).tumbling(60)
    const input = app.topic('in', { valueType: 'json', partitions: 1 })
    let processed = 0
    app.agent(input, async function collect(stream: Stream<string>) {
      for await (const word of stream) {
        tags.add('all', word)
        perMinute.update(word, (n) => n + 1)
        processed++
      }
    })
    await app.start()
    for (const word of ['a', 'a', 'a']) await input.send({ value: word, timestamp: 1_000 })
    await waitFor(() => processed === 3)
    expect(await readTopic(app, 'uncached-tags-changelog', 1)).toHaveLength(3)
    expect(await readTopic(app, 'uncached-minutes-changelog', 1)).toHaveLength(3)
  })
})
