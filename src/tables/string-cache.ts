/**
 * A bounded map from strings to values, for the hot keys of a table. Keys decoded from messages are new strings
 * each time, and V8's Map (or WeakMap, or an object) looks a string it has not hashed yet up several times slower
 * than this open-addressing table does with its own hash (FNV-1a over the UTF-16 code units): the table update
 * benchmark spent a fifth of its time in that one `Map.get`. Full at `max` keys, it starts again empty.
 */
export class StringCache<V> {
  readonly #max: number
  /**
   * Slot i at 3i: the key's hash, the key (undefined: empty), the value. One array, so a probe reads one cache line
   * (the hot keys are many and far apart in memory); strings are compared only when the hashes match.
   */
  #slots: unknown[] = []
  #mask = 0
  #size = 0

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, not ${max}`)
    this.#max = max
    this.#reset(INITIAL_CAPACITY)
  }

  get size(): number {
    return this.#size
  }

  get(key: string): V | undefined {
    const at = this.#find(key, hashOf(key))
    return this.#slots[at + 1] === undefined ? undefined : (this.#slots[at + 2] as V)
  }

  /** Adds or replaces `key`; the first key over `max` empties the cache first. */
  set(key: string, value: V): void {
    const hash = hashOf(key)
    const at = this.#find(key, hash)
    if (this.#slots[at + 1] !== undefined) {
      this.#slots[at + 2] = value
      return
    }
    if (this.#size >= this.#max) this.clear()
    // At most half full: probes stay short.
    else if ((this.#size + 1) * 2 <= this.#mask + 1) {
      this.#put(at, key, hash, value)
      return
    } else this.#grow()
    this.#put(this.#find(key, hash), key, hash, value)
  }

  clear(): void {
    this.#reset(INITIAL_CAPACITY)
  }

  /** The index of the slot holding `key`, else of the empty slot where it would go. */
  #find(key: string, hash: number): number {
    const slots = this.#slots
    const mask = this.#mask
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const at = i * 3
      const found = slots[at + 1]
      if (found === undefined || (slots[at] === hash && found === key)) return at
    }
  }

  #put(at: number, key: string, hash: number, value: V): void {
    this.#slots[at] = hash
    this.#slots[at + 1] = key
    this.#slots[at + 2] = value
    this.#size++
  }

  #grow(): void {
    const slots = this.#slots
    this.#reset((this.#mask + 1) * 2)
    for (let at = 0; at < slots.length; at += 3) {
      const key = slots[at + 1] as string | undefined
      if (key === undefined) continue
      const hash = slots[at] as number
      this.#put(this.#find(key, hash), key, hash, slots[at + 2] as V)
    }
  }

  #reset(capacity: number): void {
    // Filled, not holey: V8 keeps the array in its fast packed form.
    this.#slots = new Array<unknown>(capacity * 3).fill(undefined)
    this.#mask = capacity - 1
    this.#size = 0
  }
}

const INITIAL_CAPACITY = 64

/** FNV-1a, 32 bits, over the string's UTF-16 code units (a small integer when it fits, as V8 stores those). */
function hashOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
  return hash | 0
}
