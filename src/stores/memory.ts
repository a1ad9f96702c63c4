import { keyId } from './key-ids.ts'
import type { Store, StoreProvider } from './types.ts'

/**
 * A store in a Map, keyed by the latin1 form of the key bytes (a lossless 1:1 mapping, cheap to build and to turn
 * back into bytes). Nothing outlives the process: recovery replays the whole changelog after a restart.
 */
export class MemoryStore implements Store {
  readonly #data = new Map<string, Buffer>()
  readonly #meta = new Map<string, string>()
  #offset: number | undefined

  get(key: Buffer): Buffer | undefined {
    return this.#data.get(keyId(key))
  }

  put(key: Buffer, value: Buffer): void {
    this.#data.set(keyId(key), value)
  }

  delete(key: Buffer): void {
    this.#data.delete(keyId(key))
  }

  *entries(): Iterable<[Buffer, Buffer]> {
    for (const [id, value] of this.#data) yield [Buffer.from(id, 'latin1'), value]
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    const selected: [Buffer, Buffer][] = []
    for (const entry of this.entries()) {
      if (from !== undefined && Buffer.compare(entry[0], from) < 0) continue
      if (to !== undefined && Buffer.compare(entry[0], to) >= 0) continue
      selected.push(entry)
    }
    selected.sort((a, b) => Buffer.compare(a[0], b[0]))
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
