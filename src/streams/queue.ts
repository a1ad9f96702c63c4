import type { Event } from './event.ts'

/** A producer of events pulled one at a time; `undefined` means the source has ended. */
export interface EventSource<K = unknown, V = unknown> {
  pull(): Promise<Event<K, V> | undefined>
}

const DEFAULT_CAPACITY = 4096
const DEFAULT_MAX_BYTES = 1024 * 1024

/** Bytes of the consumed record behind an event (0 for events of in-process channels). */
function bytesOf(event: Event<any, any>): number {
  const message = event.message
  return message === null ? 0 : message.bytes
}

/**
 * A bounded FIFO of events with any number of pullers (agent actors share one), bounded by events and by bytes of
 * their records. Pushers await `writable()` for backpressure. Closing ends pending and future pulls once the buffer
 * is empty.
 */
export class EventQueue<K = unknown, V = unknown> implements EventSource<K, V> {
  #items: (Event<K, V> | undefined)[] = []
  #head = 0
  #waiters: ((event: Event<K, V> | undefined) => void)[] = []
  #drainWaiters: (() => void)[] = []
  #closed = false
  /** Exactly-once checkpoints hold events back while they cut a transaction (see `pause`). */
  #paused = false
  readonly capacity: number
  readonly maxBytes: number
  /** Bytes of the records of buffered events. */
  #bytes = 0
  /** Events handed to pullers so far (an agent's events in, for metrics). */
  taken = 0

  constructor(options: { capacity?: number; maxBytes?: number } = {}) {
    this.capacity = options.capacity ?? DEFAULT_CAPACITY
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  }

  /** Bytes of the records of buffered events. */
  get bytes(): number {
    return this.#bytes
  }

  get size(): number {
    return this.#items.length - this.#head
  }
  get closed(): boolean {
    return this.#closed
  }

  push(event: Event<K, V>): void {
    if (this.#closed) return
    const waiter = this.#paused ? undefined : this.#waiters.shift()
    if (waiter !== undefined) {
      this.taken++
      waiter(event)
    } else {
      this.#items.push(event)
      this.#bytes += bytesOf(event)
    }
  }

  /** Resolves when the queue is below capacity, in events and in bytes (at once if it already is). */
  writable(): Promise<void> | undefined {
    if ((this.size < this.capacity && this.#bytes < this.maxBytes) || this.#closed) return undefined
    return new Promise((resolve) => this.#drainWaiters.push(resolve))
  }

  /** Takes the next event without waiting; undefined if none is buffered. */
  shift(): Event<K, V> | undefined {
    if (this.#head >= this.#items.length || this.#paused) return undefined
    const event = this.#items[this.#head]!
    this.#items[this.#head++] = undefined
    this.#bytes -= bytesOf(event)
    this.taken++
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head)
      this.#head = 0
    }
    if (this.#drainWaiters.length > 0 && this.size < this.capacity / 2 && this.#bytes < this.maxBytes / 2) {
      this.#wakeDrain()
    }
    return event
  }

  pull(): Promise<Event<K, V> | undefined> {
    const event = this.shift()
    if (event !== undefined || (this.#closed && this.size === 0)) return Promise.resolve(event)
    return new Promise((resolve) => this.#waiters.push(resolve))
  }

  /**
   * Hands out no event until `resume` (events pushed meanwhile are buffered): an exactly-once checkpoint lets the
   * events already taken finish, without starting new ones, before it cuts the transaction.
   */
  pause(): void {
    this.#paused = true
  }

  resume(): void {
    if (!this.#paused) return
    this.#paused = false
    while (this.#waiters.length > 0) {
      const event = this.shift()
      if (event === undefined) break
      this.#waiters.shift()!(event)
    }
    if (this.#closed && this.size === 0) for (const waiter of this.#waiters.splice(0)) waiter(undefined)
  }

  /** Drops buffered events matching `predicate` (e.g. of revoked partitions); returns how many. */
  discard(predicate: (event: Event<K, V>) => boolean): number {
    const kept: Event<K, V>[] = []
    let dropped = 0
    for (let i = this.#head; i < this.#items.length; i++) {
      const event = this.#items[i]!
      if (predicate(event)) dropped++
      else kept.push(event)
    }
    this.#items = kept
    this.#head = 0
    this.#bytes = 0
    for (const event of kept) this.#bytes += bytesOf(event)
    if (dropped > 0) this.#wakeDrain()
    return dropped
  }

  /** Removes and returns every buffered event (to hand a closed queue's leftovers to its successor). */
  takeAll(): Event<K, V>[] {
    const taken = this.#items.slice(this.#head) as Event<K, V>[]
    this.#items = []
    this.#head = 0
    this.#bytes = 0
    this.#wakeDrain()
    return taken
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    // A paused queue still owes its buffered events to these pullers: `resume` ends them once it is empty.
    if (!this.#paused || this.size === 0) for (const waiter of this.#waiters.splice(0)) waiter(undefined)
    this.#wakeDrain()
  }

  #wakeDrain(): void {
    for (const resolve of this.#drainWaiters.splice(0)) resolve()
  }
}
