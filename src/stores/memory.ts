import { keyId } from './key-ids.ts'
import type { Store, StoreProvider } from './types.ts'

/**
 * A store in a Map, keyed by the latin1 form of the key bytes (a lossless 1:1 mapping, cheap to build and to turn
 * back into bytes). Nothing outlives the process: recovery replays the whole changelog after a restart.
 */
export class MemoryStore implements Store {
  readonly #data = new Map<string, Buffer>()
  /**
   * The keys in byte order (latin1 strings compare as their bytes), built by the first `range` and kept up to date
   * from then on: a join's lookups are then a binary search, not a scan and sort of the whole store.
   */
  #order: string[] | undefined
  readonly #meta = new Map<string, string>()
  #offset: number | undefined

  get(key: Buffer): Buffer | undefined {
    return this.#data.get(keyId(key))
  }

  put(key: Buffer, value: Buffer): void {
    const id = keyId(key)
    if (this.#order !== undefined && !this.#data.has(id)) this.#order.splice(this.#position(id), 0, id)
    this.#data.set(id, value)
  }

  delete(key: Buffer): void {
    const id = keyId(key)
    if (this.#data.delete(id) && this.#order !== undefined) this.#order.splice(this.#position(id), 1)
  }

  /** The index of the first key >= id in the ordered keys. */
  #position(id: string): number {
    const order = this.#order!
    let low = 0
    let high = order.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (order[middle]! < id) low = middle + 1
      else high = middle
    }
    return low
  }

  *entries(): Iterable<[Buffer, Buffer]> {
    for (const [id, value] of this.#data) yield [Buffer.from(id, 'latin1'), value]
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    this.#order ??= [...this.#data.keys()].sort()
    const start = from === undefined ? 0 : this.#position(from.toString('latin1'))
    const end = to === undefined ? this.#order.length : this.#position(to.toString('latin1'))
    // A copy: the caller may write to the store while it iterates.
    const selected = this.#order
      .slice(start, end)
      .map((id): [Buffer, Buffer] => [Buffer.from(id, 'latin1'), this.#data.get(id)!])
    yield* selected
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
