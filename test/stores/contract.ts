import { describe, expect, it } from 'vitest'
import type { StoreProvider } from '../../src/stores/index.ts'

const b = (s: string) => Buffer.from(s)

/** The contract every store passes. `reopen` gives a provider over the same data (a restart), or null if none. */
export function storeContract(
  name: string,
  make: () => { provider: StoreProvider; reopen: (() => StoreProvider) | null },
) {
  describe(`store contract: ${name}`, () => {
    it('gets what was put, deletes, reports size', async () => {
      const { provider } = make()
      const store = provider.open('t', 0)
      expect(store.get(b('a'))).toBeUndefined()
      store.put(b('a'), b('1'))
      store.put(b('b'), b('2'))
      store.put(b('a'), b('3'))
      expect(store.get(b('a'))?.toString()).toBe('3')
      expect(store.size).toBe(2)
      store.delete(b('a'))
      expect(store.get(b('a'))).toBeUndefined()
      expect(store.size).toBe(1)
      await provider.close()
    })

    it('keeps partitions and tables apart', async () => {
      const { provider } = make()
      provider.open('t', 0).put(b('k'), b('0'))
      provider.open('t', 1).put(b('k'), b('1'))
      provider.open('u', 0).put(b('k'), b('u'))
      expect(provider.open('t', 0).get(b('k'))?.toString()).toBe('0')
      expect(provider.open('t', 1).get(b('k'))?.toString()).toBe('1')
      expect(provider.open('u', 0).get(b('k'))?.toString()).toBe('u')
      await provider.close()
    })

    it('iterates entries and ranges in byte order, without its own bookkeeping keys', async () => {
      const { provider } = make()
      const store = provider.open('t', 0)
      for (const k of ['c', 'a', 'd', 'b']) store.put(b(k), b(k.toUpperCase()))
      store.setAppliedOffset(41)
      store.setMeta('watermark', '12')
      const keys = [...store.entries()].map(([k]) => k.toString()).sort()
      expect(keys).toEqual(['a', 'b', 'c', 'd'])
      expect([...store.range(b('b'), b('d'))].map(([k, v]) => `${k}=${v}`)).toEqual(['b=B', 'c=C'])
      expect([...store.range(b('c'))].map(([k]) => k.toString())).toEqual(['c', 'd'])
      expect(store.size).toBe(4)
      await provider.close()
    })

    it('a range visits each key once, in order, while the caller deletes what it visited and writes behind it', async () => {
      const { provider } = make()
      const store = provider.open('t', 0)
      const keys = Array.from({ length: 200 }, (_, i) => `k${String(i).padStart(3, '0')}`)
      for (const k of [...keys].reverse()) store.put(b(k), b(k))
      const visited: string[] = []
      for (const [key] of store.range(b('k050'))) {
        visited.push(key.toString())
        store.delete(key)
        store.put(b(`a-${key}`), b('behind'))
      }
      expect(visited).toEqual(keys.slice(50))
      // The order kept across writes: later ranges see the new keys and not the deleted ones.
      expect([...store.range(b('a-k198'), b('k'))].map(([k]) => k.toString())).toEqual(['a-k198', 'a-k199'])
      expect([...store.range(b('k048'))].map(([k]) => k.toString())).toEqual(['k048', 'k049'])
      store.put(b('k100'), b('again'))
      expect([...store.range(b('k049'))].map(([k, v]) => `${k}=${v}`)).toEqual(['k049=k049', 'k100=again'])
      await provider.close()
    })

    it('a range merges writes not flushed yet with flushed ones, in order; deletes hide flushed keys', async () => {
      const { provider } = make()
      const store = provider.open('t', 0)
      for (const k of ['a', 'c', 'e', 'g']) store.put(b(k), b('flushed'))
      store.flush()
      store.setMeta('watermark', '1')
      store.setAppliedOffset(7)
      for (const k of ['b', 'c', 'f', 'h']) store.put(b(k), b('pending'))
      store.delete(b('e'))
      store.delete(b('x'))
      const read = (from?: string, to?: string) =>
        [...store.range(from === undefined ? undefined : b(from), to === undefined ? undefined : b(to))].map(
          ([k, v]) => `${k}=${v}`,
        )
      expect(read()).toEqual(['a=flushed', 'b=pending', 'c=pending', 'f=pending', 'g=flushed', 'h=pending'])
      expect(read('b', 'g')).toEqual(['b=pending', 'c=pending', 'f=pending'])
      expect(read('d', 'e')).toEqual([])
      expect(read('g')).toEqual(['g=flushed', 'h=pending'])
      store.flush()
      expect(read()).toEqual(['a=flushed', 'b=pending', 'c=pending', 'f=pending', 'g=flushed', 'h=pending'])
      await provider.close()
    })

    it('keeps the applied offset and meta values; clear drops everything', async () => {
      const { provider } = make()
      const store = provider.open('t', 0)
      expect(store.appliedOffset()).toBeUndefined()
      store.setAppliedOffset(7)
      store.setMeta('closed', '1000')
      expect(store.appliedOffset()).toBe(7)
      expect(store.meta('closed')).toBe('1000')
      store.put(b('x'), b('y'))
      store.clear()
      expect(store.appliedOffset()).toBeUndefined()
      expect(store.size).toBe(0)
      await provider.close()
    })

    it('a batch of writes reads its own writes and is kept', async () => {
      const { provider } = make()
      const store = provider.open('t', 4)
      store.put(b('before'), b('0'))
      store.batch(() => {
        store.put(b('x'), b('1'))
        expect(store.get(b('x'))?.toString()).toBe('1')
        expect(store.get(b('before'))?.toString()).toBe('0')
        store.delete(b('before'))
        store.setAppliedOffset(3)
      })
      expect(store.get(b('x'))?.toString()).toBe('1')
      expect(store.get(b('before'))).toBeUndefined()
      expect(store.appliedOffset()).toBe(3)
      await provider.close()
    })

    it('holds many writes (past any write batch) and reads them back', async () => {
      const { provider } = make()
      const store = provider.open('t', 3)
      for (let i = 0; i < 120_000; i++) store.put(b(`k${i}`), b(String(i)))
      expect(store.get(b('k0'))?.toString()).toBe('0')
      expect(store.get(b('k119999'))?.toString()).toBe('119999')
      expect(store.size).toBe(120_000)
      await provider.close()
    })

    it('a slot writes its key without a lookup, and stays valid across deletes, clears and flushes', async () => {
      const { provider } = make()
      const store = provider.open('t', 5)
      const slot = store.slot(b('hot'))
      // A slot of a key not in the store writes nothing until it is written.
      expect(store.get(b('hot'))).toBeUndefined()
      slot.put(b('1'))
      expect(store.get(b('hot'))?.toString()).toBe('1')
      slot.put(b('2'))
      expect(store.get(b('hot'))?.toString()).toBe('2')
      // Written by key in between: the slot's next write wins, and reads see it.
      store.put(b('hot'), b('3'))
      expect(store.get(b('hot'))?.toString()).toBe('3')
      slot.put(b('4'))
      expect(store.get(b('hot'))?.toString()).toBe('4')
      store.flush()
      slot.put(b('5'))
      expect(store.get(b('hot'))?.toString()).toBe('5')
      expect([...store.range(b('hot'), b('hou'))].map(([k, v]) => `${k}=${v}`)).toEqual(['hot=5'])
      // Deleted, then written through the slot again: the key is back, once.
      store.delete(b('hot'))
      expect(store.get(b('hot'))).toBeUndefined()
      slot.put(b('6'))
      expect(store.get(b('hot'))?.toString()).toBe('6')
      expect(store.size).toBe(1)
      // Another slot of the same key takes over; the first one, written again, takes it back.
      const other = store.slot(b('hot'))
      other.put(b('7'))
      expect(store.get(b('hot'))?.toString()).toBe('7')
      slot.put(b('8'))
      expect(store.get(b('hot'))?.toString()).toBe('8')
      other.put(b('9'))
      store.flush()
      expect(store.get(b('hot'))?.toString()).toBe('9')
      // Cleared: the slot writes the key again into the empty store.
      store.clear()
      expect(store.size).toBe(0)
      slot.put(b('10'))
      expect([...store.entries()].map(([k, v]) => `${k}=${v}`)).toEqual(['hot=10'])
      // Inside a batch (a restore), a slot writes straight through as well.
      store.batch(() => slot.put(b('11')))
      expect(store.get(b('hot'))?.toString()).toBe('11')
      await provider.close()
    })

    it('slot writes are durable like puts', async () => {
      const { provider, reopen } = make()
      if (reopen === null) return
      const store = provider.open('t', 6)
      const slot = store.slot(b('k'))
      slot.put(b('a'))
      store.flush()
      slot.put(b('b'))
      await provider.close()
      const again = reopen()
      expect(again.open('t', 6).get(b('k'))?.toString()).toBe('b')
      await again.close()
    })

    it('survives a restart when persistent, with its applied offset', async () => {
      const { provider, reopen } = make()
      if (reopen === null) return
      const store = provider.open('t', 2)
      store.put(b('kept'), b('v'))
      store.delete(b('gone'))
      store.setAppliedOffset(99)
      store.setMeta('closed', '5')
      await provider.close()
      const again = reopen()
      const reopened = again.open('t', 2)
      expect(reopened.get(b('kept'))?.toString()).toBe('v')
      expect(reopened.appliedOffset()).toBe(99)
      expect(reopened.meta('closed')).toBe('5')
      await again.close()
    })
  })
}
