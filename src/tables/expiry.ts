import { errorFields, type Logger } from '../logging.ts'
import type { Store } from '../stores/types.ts'
import { MinHeap } from './heap.ts'
import type { Window, WindowRange } from './windows.ts'

/** Store meta name of the latest closed window start (ms) of a partition: a window closes once, restarts included. */
export const CLOSED_META = 'closedWindowStart'

export type WindowCloseHandler = (key: unknown, value: unknown, range: WindowRange) => unknown

interface PartitionIndex {
  heap: MinHeap
  /** window end (ms) -> store keys (latin1) of windows ending then, with their bytes. */
  byEnd: Map<number, Map<string, Buffer>>
  latestEnd: number
  closedStart: number
}

/** What expiry needs of the windowed table. */
export interface ExpiryHost {
  readonly log: Logger
  store(partition: number): Store
  /** `[key, range]` of a stored window key. */
  decodeWindowKey(key: Buffer): [unknown, WindowRange]
  decodeValue(value: Buffer): unknown
}

/**
 * Expiry of windowed tables, per partition, as Faust's `_del_old_keys`: windows are indexed by end; once a window
 * is stale against the latest window end seen in its partition it is removed from the local store (no tombstone:
 * the changelog's `compact,delete` retention drops it there) and `onWindowClose` fires, unless its start is at or
 * below the partition's closed watermark, which the store keeps so a restart never closes a window twice.
 */
export class WindowExpiry {
  readonly #window: Window
  readonly #host: ExpiryHost
  readonly #partitions = new Map<number, PartitionIndex>()
  readonly #handlers: WindowCloseHandler[] = []
  #closing: Promise<void> = Promise.resolve()
  /** Windows closed (for tests and metrics). */
  closed = 0

  constructor(window: Window, host: ExpiryHost) {
    this.#window = window
    this.#host = host
  }

  onClose(handler: WindowCloseHandler): void {
    this.#handlers.push(handler)
  }

  /** Resolves when the close callbacks queued so far have run. */
  settled(): Promise<void> {
    return this.#closing
  }

  #index(partition: number): PartitionIndex {
    let index = this.#partitions.get(partition)
    if (index === undefined) {
      const stored = this.#host.store(partition).meta(CLOSED_META)
      index = {
        heap: new MinHeap(),
        byEnd: new Map(),
        latestEnd: Number.NEGATIVE_INFINITY,
        closedStart: stored === undefined ? Number.NEGATIVE_INFINITY : Number(stored),
      }
      this.#partitions.set(partition, index)
    }
    return index
  }

  /** Whether a restored window is still open (not closed before a restart). */
  isOpen(partition: number, start: number): boolean {
    const stored = this.#partitions.get(partition)?.closedStart ?? this.#host.store(partition).meta(CLOSED_META)
    return stored === undefined || start > Number(stored)
  }

  /** Rebuilds the index of a partition from its store (after recovery), then expires what is stale. */
  rebuild(partition: number): void {
    this.#partitions.delete(partition)
    const index = this.#index(partition)
    for (const [key] of this.#host.store(partition).entries()) {
      const [, range] = this.#host.decodeWindowKey(key)
      this.#add(index, range.end, key)
    }
    this.expire(partition)
  }

  forget(partition: number): void {
    this.#partitions.delete(partition)
  }

  /** A window was written: index it, then expire what became stale. */
  touched(partition: number, range: WindowRange, key: Buffer): void {
    if (this.#window.expires === undefined) return
    const index = this.#index(partition)
    this.#add(index, range.end, key)
    if (this.#window.stale(index.heap.peek()!, index.latestEnd)) this.expire(partition)
  }

  #add(index: PartitionIndex, end: number, key: Buffer): void {
    let keys = index.byEnd.get(end)
    if (keys === undefined) {
      index.byEnd.set(end, (keys = new Map()))
      index.heap.push(end)
    }
    keys.set(key.toString('latin1'), key)
    if (end > index.latestEnd) index.latestEnd = end
  }

  /** Drops the stale windows of a partition, firing `onWindowClose` for each not closed before. */
  expire(partition: number): void {
    const index = this.#partitions.get(partition)
    if (index === undefined || this.#window.expires === undefined) return
    const store = this.#host.store(partition)
    let closedStart = index.closedStart
    while (index.heap.size > 0 && this.#window.stale(index.heap.peek()!, index.latestEnd)) {
      const end = index.heap.pop()!
      const keys = index.byEnd.get(end)
      index.byEnd.delete(end)
      if (keys === undefined) continue
      for (const key of keys.values()) {
        const value = store.get(key)
        store.delete(key)
        if (value === undefined) continue
        const [userKey, range] = this.#host.decodeWindowKey(key)
        if (range.start <= index.closedStart) continue
        if (range.start > closedStart) closedStart = range.start
        this.closed++
        if (this.#handlers.length > 0) this.#fire(userKey, this.#host.decodeValue(value), range)
      }
    }
    if (closedStart > index.closedStart) {
      index.closedStart = closedStart
      store.setMeta(CLOSED_META, String(closedStart))
    }
  }

  #fire(key: unknown, value: unknown, range: WindowRange): void {
    this.#closing = this.#closing.then(async () => {
      for (const handler of this.#handlers) {
        try {
          await handler(key, value, range)
        } catch (error) {
          this.#host.log.error({ ...errorFields(error), window: range.key }, 'onWindowClose raised')
        }
      }
    })
  }
}
