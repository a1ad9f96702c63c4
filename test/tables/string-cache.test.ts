import { describe, expect, it } from 'vitest'
import { StringCache } from '../../src/tables/string-cache.ts'

describe('StringCache', () => {
  it('maps strings (new string objects of the same text included) to values, growing as keys come', () => {
    const cache = new StringCache<number>(10_000)
    for (let i = 0; i < 5000; i++) cache.set(`key-${i}`, i)
    expect(cache.size).toBe(5000)
    for (let i = 0; i < 5000; i++) {
      // Built from bytes: a different string object than the one stored.
      const key = Buffer.from(`key-${i}`).toString('utf8')
      expect(cache.get(key)).toBe(i)
    }
    expect(cache.get('key-5000')).toBeUndefined()
    expect(cache.get('')).toBeUndefined()
    cache.set('key-7', 70)
    expect(cache.get('key-7')).toBe(70)
    expect(cache.size).toBe(5000)
  })

  it('tells apart keys whose hashes collide, and any text (empty, non-ASCII, long)', () => {
    const cache = new StringCache<string>(100)
    const keys = ['', 'é', '日本', '\u0000', 'a'.repeat(10_000), 'a'.repeat(10_001), '"x"', 'x']
    for (const key of keys) cache.set(key, `v:${key}`)
    for (const key of keys) expect(cache.get(key)).toBe(`v:${key}`)
    // Many keys in a small table: probes pass over slots of other keys.
    const small = new StringCache<number>(1000)
    for (let i = 0; i < 1000; i++) small.set(String(i), i)
    for (let i = 0; i < 1000; i++) expect(small.get(String(i))).toBe(i)
  })

  it('starts again empty when a key over its bound comes', () => {
    const cache = new StringCache<number>(3)
    cache.set('a', 1)
    cache.set('b', 2)
    cache.set('c', 3)
    cache.set('a', 10)
    expect(cache.size).toBe(3)
    cache.set('d', 4)
    expect(cache.size).toBe(1)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('d')).toBe(4)
    cache.clear()
    expect(cache.get('d')).toBeUndefined()
    expect(() => new StringCache(0)).toThrow(RangeError)
  })
})
