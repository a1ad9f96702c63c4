import { createRequire } from 'node:module'
import { keyId } from './key-ids.ts'

// sorted-btree is CommonJS with its class under `default`; required, so Node and vitest's transform agree on it.
const { default: BTree } = createRequire(import.meta.url)('sorted-btree') as typeof import('sorted-btree')

import type { Store, StoreProvider } from './types.ts'

/**
 * A store in a Map, keyed by the latin1 form of the key bytes (a lossless 1:1 mapping, cheap to build and to turn
 * back into bytes). Nothing outlives the process: recovery replays the whole changelog after a restart.
 */
export class MemoryStore implements Store {
  readonly #data = new Map<string, Buffer>()
  /**
   * The keys in byte order (latin1 strings compare as their bytes) in a B+ tree, built by the first `range` and kept
   * up to date from then on: a join's lookups and inserts cost O(log n), not a scan or a shift of the whole store.
   */
  #order: InstanceType<typeof BTree<string, true>> | undefined
  readonly #meta = new Map<string, string>()
  #offset: number | undefined

  get(key: Buffer): Buffer | undefined {
    return this.#data.get(keyId(key))
  }

  put(key: Buffer, value: Buffer): void {
    const id = keyId(key)
    this.#order?.set(id, true)
    this.#data.set(id, value)
  }

  delete(key: Buffer): void {
    const id = keyId(key)
    if (this.#data.delete(id)) this.#order?.delete(id)
  }

  *entries(): Iterable<[Buffer, Buffer]> {
    for (const [id, value] of this.#data) yield [Buffer.from(id, 'latin1'), value]
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    const order = (this.#order ??= new BTree<string, true>(
      Array.from(this.#data.keys(), (id): [string, true] => [id, true]),
    ))
    const end = to?.toString('latin1')
    // Lazily, one step at a time from the last key given: the caller may write to the store while it iterates (a
    // scan that stops early costs only what it read), and each step finds the next key after the previous one.
    let id = from === undefined ? order.minKey() : order.getPairOrNextHigher(from.toString('latin1'))?.[0]
    while (id !== undefined && (end === undefined || id < end)) {
      const value = this.#data.get(id)
      if (value !== undefined) yield [Buffer.from(id, 'latin1'), value]
      id = order.nextHigherKey(id)
    }
  }

  get size(): number {
    return this.#data.size
  }

  appliedOffset(): number | undefined {
    return this.#offset
  }

  setAppliedOffset(offset: number): void {
    this.#offset = offset
  }

  meta(name: string): string | undefined {
    return this.#meta.get(name)
  }

  setMeta(name: string, value: string): void {
    this.#meta.set(name, value)
  }

  batch(fn: () => void): void {
    fn()
  }

  flush(): void {}

  clear(): void {
    this.#data.clear()
    this.#order = undefined
    this.#meta.clear()
    this.#offset = undefined
  }
}

/**
 * Memory stores of one app. They live as long as the provider: an app stopped and started again in the same
 * process keeps its state and replays only the changelog tail, as a persistent store would.
 */
export class MemoryStoreProvider implements StoreProvider {
  readonly kind = 'memory'
  readonly persistent = false
  readonly #stores = new Map<string, MemoryStore>()

  open(table: string, partition: number): Store {
    const name = `${table}\u0000${partition}`
    let store = this.#stores.get(name)
    if (store === undefined) this.#stores.set(name, (store = new MemoryStore()))
    return store
  }

  flush(): void {}

  async close(): Promise<void> {}
}
