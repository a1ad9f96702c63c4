import type { Event } from './event.ts'
import { EventQueue, type EventSource } from './queue.ts'

/** A source that keeps only events whose value passes `predicate`; the others are acked as they are dropped. */
export function filterSource<K, V>(
  parent: EventSource<K, V>,
  predicate: (value: V, event: Event<K, V>) => boolean | Promise<boolean>,
): EventSource<K, V> {
  return {
    async pull() {
      for (;;) {
        const event = await parent.pull()
        if (event === undefined) return undefined
        if (await predicate(event.value, event)) return event
        event.ack()
      }
    },
  }
}

/** A source whose values (and optionally keys) are transformed; derived events share the original's ack. */
export function mapSource<K, V, K2, V2>(
  parent: EventSource<K, V>,
  transform: (event: Event<K, V>) => Promise<Event<K2, V2>> | Event<K2, V2>,
): EventSource<K2, V2> {
  return {
    async pull() {
      const event = await parent.pull()
      return event === undefined ? undefined : await transform(event)
    },
  }
}

/**
 * Pulls from several sources into one queue, each as fast as the queue lets it. Events keep their own acks, so
 * the merged stream acks each at its origin. Ends when every source has ended; a source that fails (a filter or
 * map function raising) fails the merged stream's reads, so the reader's error policy sees it.
 */
export function mergeSources<K, V>(sources: EventSource<K, V>[]): EventSource<K, V> {
  const queue = new EventQueue<K, V>()
  const reader = new FailableSource(queue)
  let open = sources.length
  let started = false
  const pump = async (source: EventSource<K, V>) => {
    try {
      for (;;) {
        const event = await source.pull()
        if (event === undefined) break
        await queue.writable()
        queue.push(event)
      }
    } catch (error) {
      reader.fail(error)
      return
    }
    if (--open === 0) queue.close()
  }
  return {
    pull() {
      if (!started) {
        started = true
        for (const source of sources) void pump(source)
      }
      return reader.pull()
    },
  }
}

const FAILED = Symbol('failed')

/**
 * Reads `inner` for a consumer that must also hear of a failure in the background work feeding it (a pump). A read
 * waiting when the failure comes is kept for the next read, so no event it would have taken is dropped.
 */
export class FailableSource<K, V> implements EventSource<K, V> {
  readonly #inner: EventSource<K, V>
  readonly #beforeFailing: ((event: Event<K, V>) => void) | undefined
  #failure: { error: unknown; event: Event<K, V> | undefined } | undefined
  #wake: (() => void) | undefined
  #waiting: Promise<Event<K, V> | undefined> | undefined

  /** `beforeFailing` hears of the event the failure is about, before the read rejects. */
  constructor(inner: EventSource<K, V>, beforeFailing?: (event: Event<K, V>) => void) {
    this.#inner = inner
    this.#beforeFailing = beforeFailing
  }

  /** Every read from now on rejects with `error`. */
  fail(error: unknown, event?: Event<K, V>): void {
    this.#failure ??= { error, event }
    this.#wake?.()
  }

  pull(): Promise<Event<K, V> | undefined> {
    if (this.#failure !== undefined) return this.#rejection()
    // Fast path: an event already buffered needs no race.
    const buffered = this.#waiting === undefined ? (this.#inner as Partial<EventQueue<K, V>>).shift?.() : undefined
    if (buffered !== undefined) return Promise.resolve(buffered)
    this.#waiting ??= this.#inner.pull()
    const pulling = this.#waiting
    const failed = new Promise<typeof FAILED>((resolve) => {
      this.#wake = () => resolve(FAILED)
    })
    return Promise.race([pulling, failed]).then((result) => {
      if (result === FAILED) return this.#rejection()
      this.#waiting = undefined
      return result
    })
  }

  #rejection(): Promise<never> {
    const { error, event } = this.#failure!
    if (event !== undefined) this.#beforeFailing?.(event)
    return Promise.reject(error)
  }
}

/** Pulls the next event, or `undefined` after `ms`; an unfinished pull is kept for the next call (nothing lost). */
export class TimedPuller<K, V> {
  #pending: Promise<Event<K, V> | undefined> | null = null

  constructor(readonly source: EventSource<K, V>) {}

  async pull(ms: number): Promise<{ event: Event<K, V> | undefined; timedOut: boolean }> {
    const pending = this.#pending ?? this.source.pull()
    this.#pending = pending
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), Math.max(0, ms))
    })
    const winner = await Promise.race([pending, timeout])
    clearTimeout(timer)
    if (winner === 'timeout') return { event: undefined, timedOut: true }
    this.#pending = null
    return { event: winner, timedOut: false }
  }
}
