import { afterEach, describe, expect, it } from 'vitest'
import type { Table } from '../../src/tables/table.ts'
import { lmdbDir, memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

/** The store bytes of one partition of a table, as `key=value` text. */
function stored(table: Table<string, number>, partition: number): string[] {
  return [...table.rawEntries(partition)].map(([k, v]) => `${k}=${v}`).sort()
}

// Hot keys are written through a slot of the store kept with the key (no lookup): every write still reaches the
// store and, as one changelog record with the same bytes, the changelog: each write at once without the table cache,
// the last write of each key before a checkpoint with it.
describe.each([
  ['memory', () => 'memory://', 0],
  ['lmdb', () => `lmdb://${lmdbDir()}`, 0],
  ['memory', () => 'memory://', undefined],
  ['lmdb', () => `lmdb://${lmdbDir()}`, undefined],
])('hot keys of a table, %s store, tableCacheMaxBytes %s', (_name, store, tableCacheMaxBytes) => {
  const cached = tableCacheMaxBytes === undefined
  it('every write is in the store and in the changelog, in order, as before: across deletes and clears', async () => {
    const app = worker('hot', memoryBroker(), {
      store: store(),
      topicPartitions: 1,
      tableCacheMaxBytes,
      brokerCommitIntervalMs: 3_600_000,
    })
    const counts = app.table<string, number>('counts', { default: () => 0, partitions: 1 })
    app.agent(app.topic('in', { partitions: 1 }), async function idle(stream) {
      for await (const _ of stream) {
      }
    })
    await app.start()
    const at = { partition: 0 }
    const expected: string[] = []
    for (let round = 0; round < 3; round++) {
      for (const key of ['a', 'b', 'é', 'a']) {
        const value = counts.update(key, (n) => n + 1, at)
        expected.push(`${key === 'é' ? '"\\u00e9"' : JSON.stringify(key)}=${value}`)
      }
    }
    expect(stored(counts, 0)).toEqual(['"\\u00e9"=3', '"a"=6', '"b"=3'])
    counts.delete('b', at)
    expected.push('"b"=null')
    expect(counts.get('b')).toBe(0)
    // Written again after its delete: the key comes back in the store.
    counts.set('b', 40, at)
    expected.push('"b"=40')
    expect(stored(counts, 0)).toEqual(['"\\u00e9"=3', '"a"=6', '"b"=40'])
    await app.commit()
    counts.update('a', (n) => n * 10, at)
    expected.push('"a"=60')
    // A partition cleared under the table (an exactly-once rollback): the next write of a hot key lands in the
    // emptied store.
    counts.clearPartition(0)
    expect(counts.get('a')).toBe(0)
    counts.update('a', (n) => n + 1, at)
    expected.push('"a"=1')
    expect(stored(counts, 0)).toEqual(['"a"=1'])
    const changelog = await readTopic(app, 'hot-counts-changelog', 1)
    // Cached: each key once per checkpoint, where it was first written, with its last value.
    const coalesced = ['"a"=6', '"b"=40', '"\\u00e9"=3', '"a"=1']
    expect(changelog.map((r) => `${r.key}=${r.value}`)).toEqual(cached ? coalesced : expected)
    // Exactly the bytes Faust writes: JSON keys (non-ASCII escaped), integer values.
    expect(changelog[2].key).toBe('"\\u00e9"')
  })
})
