import type { Clock } from '../clock.ts'

interface Due {
  at: number
  seq: number
  fn: () => void
}

/**
 * A clock that moves only when told: `advance(ms)` runs what falls due, in time order, letting each run's
 * promises settle before the next, so a timer, a crontab job or an ask timeout fires without real waiting.
 */
export class VirtualClock implements Clock {
  #now: number
  #seq = 0
  readonly #due: Due[] = []

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.#now = start
  }

  now(): number {
    return this.#now
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const entry: Due = { at: this.#now + Math.max(0, delayMs), seq: this.#seq++, fn }
    this.#due.push(entry)
    return () => {
      const index = this.#due.indexOf(entry)
      if (index >= 0) this.#due.splice(index, 1)
    }
  }

  /** How many scheduled runs are waiting. */
  get pending(): number {
    return this.#due.length
  }

  /**
   * Moves time forward by `ms`, running every scheduled function that falls due on the way (in due order; a
   * function that schedules again within the span runs again). `settle` runs after each, to let its work finish.
   */
  async advance(ms: number, settle: () => Promise<void> = turns): Promise<void> {
    if (!(ms >= 0)) throw new RangeError('advance() needs a non-negative number of milliseconds')
    const target = this.#now + ms
    for (;;) {
      const next = this.#next(target)
      if (next === undefined) break
      this.#due.splice(this.#due.indexOf(next), 1)
      this.#now = next.at
      next.fn()
      await settle()
    }
    this.#now = target
    await settle()
  }

  #next(limit: number): Due | undefined {
    let best: Due | undefined
    for (const entry of this.#due) {
      if (entry.at > limit) continue
      if (best === undefined || entry.at < best.at || (entry.at === best.at && entry.seq < best.seq)) best = entry
    }
    return best
  }
}

/** A few turns of the event loop (promise jobs and I/O callbacks of in-process work). */
export async function turns(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve))
}
