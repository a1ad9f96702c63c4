import { keyId } from './key-ids.ts'
import { type KeyOrder, keyOrder, nextId } from './key-order.ts'
import type { Store, StoreProvider, StoreSlot } from './types.ts'

/**
 * A store in a Map, keyed by the latin1 form of the key bytes (a lossless 1:1 mapping, cheap to build and to turn
 * back into bytes). Each key's value sits in a slot object, which a table keeps for its hot keys and writes through
 * without a lookup. Nothing outlives the process: recovery replays the whole changelog after a restart.
 */
export class MemoryStore implements Store {
  readonly #data = new Map<string, MemorySlot>()
  /** The keys in order, built by the first `range` (a join's store) and kept up to date from then on. */
  #order: KeyOrder | undefined
  readonly #meta = new Map<string, string>()
  #offset: number | undefined

  get(key: Buffer): Buffer | undefined {
    return this.#data.get(keyId(key))?.value
  }

  put(key: Buffer, value: Buffer): void {
    const id = keyId(key)
    const slot = this.#data.get(id)
    if (slot !== undefined) slot.value = value
    else this.#insert(new MemorySlot(this, id, value))
  }

  delete(key: Buffer): void {
    const id = keyId(key)
    const slot = this.#data.get(id)
    if (slot === undefined) return
    slot.value = undefined
    this.#data.delete(id)
    this.#order?.delete(id)
  }

  slot(key: Buffer): StoreSlot {
    const id = keyId(key)
    return this.#data.get(id) ?? new MemorySlot(this, id, undefined)
  }

  /** A slot written while out of the map (new, deleted, cleared) takes the key's place again. */
  adopt(slot: MemorySlot): void {
    const previous = this.#data.get(slot.id)
    if (previous !== undefined) previous.value = undefined
    this.#insert(slot)
  }

  #insert(slot: MemorySlot): void {
    this.#data.set(slot.id, slot)
    this.#order?.set(slot.id, true)
  }

  *entries(): Iterable<[Buffer, Buffer]> {
    for (const [id, slot] of this.#data) {
      if (slot.value !== undefined) yield [Buffer.from(id, 'latin1'), slot.value]
    }
  }

  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    const order = (this.#order ??= keyOrder(this.#data.keys()))
    const end = to?.toString('latin1')
    // Lazily, one step at a time from the last key given: the caller may write to the store while it iterates, and
    // a scan that stops early costs only what it read.
    for (let id = nextId(order, from?.toString('latin1'), end); id !== undefined; id = nextId(order, id, end, true)) {
      const value = this.#data.get(id)?.value
      if (value !== undefined) yield [Buffer.from(id, 'latin1'), value]
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
    // Slots kept by tables go out of the store with their keys: a later write through one puts it back.
    for (const slot of this.#data.values()) slot.value = undefined
    this.#data.clear()
    this.#order = undefined
    this.#meta.clear()
    this.#offset = undefined
  }
}

/** One key of a memory store: its value, undefined while the key is not in the store. */
class MemorySlot implements StoreSlot {
  readonly #store: MemoryStore
  readonly id: string
  value: Buffer | undefined

  constructor(store: MemoryStore, id: string, value: Buffer | undefined) {
    this.#store = store
    this.id = id
    this.value = value
  }

  put(value: Buffer): void {
    if (this.value === undefined) this.#store.adopt(this)
    this.value = value
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
