import { describe, expect, it } from 'vitest'
import { ChangelogCache, type ChangeOwner } from '../../src/tables/changelog-cache.ts'
import type { ProduceRecord } from '../../src/transport/types.ts'

const record = (partition: number, key: string, value: string | null): ProduceRecord => ({
  topic: 't-changelog',
  partition,
  key: Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
})

const drained = (cache: ChangelogCache) => {
  const out: ProduceRecord[] = []
  cache.drain(out)
  return out.map((r) => `${r.partition}:${r.key}=${r.value ?? 'null'}`)
}

describe('ChangelogCache', () => {
  it('keeps the last record of a key, and counts its bytes as they change', () => {
    const cache = new ChangelogCache()
    const owner: ChangeOwner = { cached: undefined }
    cache.put(record(0, 'k', '1'), owner)
    expect(cache.bytes).toBe(1 + 1 + 64)
    cache.put(record(0, 'k', '12345'), owner)
    expect(cache.bytes).toBe(1 + 5 + 64)
    cache.put(record(0, 'k', null), owner)
    expect(cache.bytes).toBe(1 + 0 + 64)
    cache.put(record(0, 'k', '12'), owner)
    expect({ size: cache.size, bytes: cache.bytes }).toEqual({ size: 1, bytes: 1 + 2 + 64 })
    expect(drained(cache)).toEqual(['0:k=12'])
    expect({ size: cache.size, bytes: cache.bytes }).toEqual({ size: 0, bytes: 0 })
  })

  it('keeps a record per partition of one key, in order, each counted', () => {
    const cache = new ChangelogCache()
    const owner: ChangeOwner = { cached: undefined }
    cache.put(record(0, 'k', 'a'), owner)
    cache.put(record(1, 'k', 'bb'), owner)
    // Back in partition 0: a new record, so partition 1's stays before it and 0's last value is last.
    cache.put(record(0, 'k', 'ccc'), owner)
    expect(cache.bytes).toBe(3 * (1 + 64) + 1 + 2 + 3)
    expect(drained(cache)).toEqual(['0:k=a', '1:k=bb', '0:k=ccc'])
  })

  it('starts a new record for a key changed again after a drain or a clear, leaving the drained one alone', () => {
    const cache = new ChangelogCache()
    const owner: ChangeOwner = { cached: undefined }
    const first = record(0, 'k', '1')
    cache.put(first, owner)
    const out: ProduceRecord[] = []
    cache.drain(out)
    cache.put(record(0, 'k', '2'), owner)
    expect(out).toEqual([first])
    expect(first.value?.toString()).toBe('1')
    cache.clear()
    cache.put(record(0, 'k', '3'), owner)
    expect(drained(cache)).toEqual(['0:k=3'])
  })
})
