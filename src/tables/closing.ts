import { channels, type LateEventMessage } from '../diagnostics.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Store } from '../stores/types.ts'
import type { WindowCloseHandler } from './expiry.ts'
import { MinHeap } from './heap.ts'
import type { Window, WindowRange } from './windows.ts'

/** Store meta name of a partition's stream time (ms): the largest event time its windowed writes have seen. */
export const STREAM_TIME_META = 'streamTime'
/** Header of a closed window's changelog tombstone: the stream time that closed it (ms), restored by recovery. */
export const STREAM_TIME_HEADER = 'faustus-stream-time'

/** What closing needs of a windowed table. */
export interface ClosingHost {
  readonly appId: string
  readonly name: string
  readonly log: Logger
  store(partition: number): Store
  decodeWindowKey(key: Buffer): [unknown, WindowRange]
  decodeValue(value: Buffer): unknown
  /** Deletes a closed window: from the store and, as a tombstone with these headers, from the changelog. */
  remove(partition: number, key: Buffer, headers: Record<string, string>): void
}

interface PendingIndex {
  heap: MinHeap
  /** close time (ms) -> store keys (latin1) of windows closing then, with their bytes. */
  byClose: Map<number, Map<string, Buffer>>
}

/**
 * Windows closed by stream time, as Kafka Streams closes them: the stream time of a partition is the largest event
 * time seen there; a window closes once stream time reaches `window.closesAt(range)` (end + grace). A closed window's
 * final value goes to the `onWindowClose` handlers (in the context of the event that closed it, so what they forward
 * is committed with it), then the window is deleted with a changelog tombstone, so a restart never closes it again.
 * Events for a window already closed are late: dropped, counted, logged at debug and published on `faustus:late`.
 */
export class WindowClosing {
  readonly #window: Window
  readonly #host: ClosingHost
  readonly #streamTime = new Map<number, number>()
  readonly #pending = new Map<number, PendingIndex>()
  readonly #handlers: WindowCloseHandler[] = []
  #settled: Promise<void> = Promise.resolve()
  /** Window updates dropped as late. */
  late = 0
  /** Windows closed with their final result. */
  closed = 0

  constructor(window: Window, host: ClosingHost) {
    this.#window = window
    this.#host = host
  }

  /** Whether windows close by stream time (a grace period was given). */
  get enabled(): boolean {
    return this.#window.grace !== undefined
  }

  onClose(handler: WindowCloseHandler): void {
    this.#handlers.push(handler)
  }

  readonly #removed: ((partition: number, key: unknown, range: WindowRange) => void)[] = []

  /** Hears each window closed and deleted (after its handlers ran). */
  onRemoved(listener: (partition: number, key: unknown, range: WindowRange) => void): void {
    this.#removed.push(listener)
  }

  /** Resolves when the promises returned by the close handlers so far have settled. */
  settled(): Promise<void> {
    return this.#settled
  }

  /** The partition's stream time; -Infinity before any event. */
  streamTime(partition: number): number {
    let time = this.#streamTime.get(partition)
    if (time === undefined) {
      const stored = this.#host.store(partition).meta(STREAM_TIME_META)
      time = stored === undefined ? Number.NEGATIVE_INFINITY : Number(stored)
      this.#streamTime.set(partition, time)
    }
    return time
  }

  /** An event at `time` was seen in `partition`: stream time moves forward, never back. */
  observe(partition: number, time: number): void {
    if (!this.enabled || time <= this.streamTime(partition)) return
    this.#streamTime.set(partition, time)
    this.#host.store(partition).setMeta(STREAM_TIME_META, String(time))
  }

  /** Whether `range` is closed at the partition's stream time (an update to it is late). */
  isClosed(partition: number, range: WindowRange): boolean {
    return this.enabled && this.#window.closesAt(range) <= this.streamTime(partition)
  }

  /** Counts and reports a late update dropped. */
  dropped(partition: number, key: unknown, range: WindowRange, time: number): void {
    this.late++
    const streamTime = this.streamTime(partition)
    this.#host.log.debug(
      { table: this.#host.name, partition, window: range.key, timestamp: time, streamTime },
      'late event dropped: its window is closed',
    )
    if (channels.late.hasSubscribers) {
      channels.late.publish({
        app: this.#host.appId,
        table: this.#host.name,
        partition,
        key,
        window: [range.start, range.end],
        timestamp: time,
        streamTime,
      } satisfies LateEventMessage)
    }
  }

  /** A window was written: remember when it closes. */
  track(partition: number, range: WindowRange, key: Buffer): void {
    if (!this.enabled) return
    const index = this.#index(partition)
    const at = this.#window.closesAt(range)
    let keys = index.byClose.get(at)
    if (keys === undefined) {
      index.byClose.set(at, (keys = new Map()))
      index.heap.push(at)
    }
    keys.set(key.toString('latin1'), key)
  }

  #index(partition: number): PendingIndex {
    let index = this.#pending.get(partition)
    if (index === undefined) this.#pending.set(partition, (index = { heap: new MinHeap(), byClose: new Map() }))
    return index
  }

  /**
   * Rebuilds a partition after recovery: its windows are tracked again, and its stream time is at least the event
   * time each stored window implies (a store recovered from the changelog alone has no stream time meta).
   */
  rebuild(partition: number): void {
    if (!this.enabled) return
    this.#pending.delete(partition)
    this.#streamTime.delete(partition)
    let time = this.streamTime(partition)
    for (const [key] of this.#host.store(partition).entries()) {
      const [, range] = this.#host.decodeWindowKey(key)
      this.track(partition, range, key)
      time = Math.max(time, this.#window.eventTimeOf(range))
    }
    this.observe(partition, time)
    this.#rebuilt.add(partition)
  }

  forget(partition: number): void {
    this.#pending.delete(partition)
    this.#streamTime.delete(partition)
    this.#rebuilt.delete(partition)
  }

  /** Partitions rebuilt and not written since. */
  readonly #rebuilt = new Set<number>()

  /**
   * Closes, once after a rebuild, the windows already due at the restored stream time, before the partition's first
   * write. Under at-least-once a crash can leave a closed window restored (its tombstone waits for its final result's
   * flush): it closes again (a duplicate result) instead of taking replayed events, which a session would merge.
   */
  closeDueAfterRebuild(partition: number): void {
    if (this.#rebuilt.delete(partition)) this.close(partition)
  }

  /** Closes the windows of a partition due at its stream time: final results to the handlers, then deleted. */
  close(partition: number): void {
    const index = this.#pending.get(partition)
    if (index === undefined) return
    const now = this.streamTime(partition)
    const store = this.#host.store(partition)
    while (index.heap.size > 0 && index.heap.peek()! <= now) {
      const at = index.heap.pop()!
      const keys = index.byClose.get(at)
      index.byClose.delete(at)
      if (keys === undefined) continue
      // Keys in a stable order, so a replay closes the windows of one close time in the same order.
      for (const key of [...keys.values()].sort(Buffer.compare)) {
        const value = store.get(key)
        if (value === undefined) continue
        const [userKey, range] = this.#host.decodeWindowKey(key)
        // A session tracked under an older close time may have grown since: close it at its own time.
        if (this.#window.closesAt(range) > now) continue
        this.closed++
        this.#fire(userKey, this.#host.decodeValue(value), range)
        this.#host.remove(partition, key, { [STREAM_TIME_HEADER]: String(now) })
        for (const listener of this.#removed) listener(partition, userKey, range)
      }
    }
  }

  #fire(key: unknown, value: unknown, range: WindowRange): void {
    for (const handler of this.#handlers) {
      try {
        const result = handler(key, value, range)
        if (result instanceof Promise) {
          this.#settled = this.#settled.then(() => result.then(undefined, (error) => this.#failed(error, range)))
        }
      } catch (error) {
        this.#failed(error, range)
      }
    }
  }

  #failed(error: unknown, range: WindowRange): void {
    this.#host.log.error({ ...errorFields(error), window: range.key }, 'onWindowClose raised')
  }
}
