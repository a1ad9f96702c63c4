/**
 * What happens when an actor's function raises (Faust's supervisor strategies):
 * - `one_for_one`: restart the failed actor only;
 * - `one_for_all`: restart every actor of the agent;
 * - `crashing`: stop the app with the error.
 * Restarts back off exponentially while failures repeat without progress, up to `maxBackoffMs`; more than
 * `maxRestarts` within `windowMs` crashes the app.
 */
export type SupervisorStrategy = 'one_for_one' | 'one_for_all' | 'crashing'

export interface SupervisorOptions {
  strategy?: SupervisorStrategy
  maxRestarts?: number
  windowMs?: number
  initialBackoffMs?: number
  maxBackoffMs?: number
}

export class RestartPolicy {
  readonly strategy: SupervisorStrategy
  readonly #maxRestarts: number
  readonly #windowMs: number
  readonly #initialBackoffMs: number
  readonly #maxBackoffMs: number
  #restarts: number[] = []
  #consecutive = 0

  constructor(options: SupervisorOptions = {}) {
    this.strategy = options.strategy ?? 'one_for_one'
    this.#maxRestarts = options.maxRestarts ?? Number.POSITIVE_INFINITY
    this.#windowMs = options.windowMs ?? 60_000
    this.#initialBackoffMs = options.initialBackoffMs ?? 0
    this.#maxBackoffMs = options.maxBackoffMs ?? 1_000
  }

  /** Records a failure; returns the delay before restarting, or undefined when restarts are exhausted. */
  onFailure(now = Date.now()): number | undefined {
    if (this.strategy === 'crashing') return undefined
    this.#restarts = this.#restarts.filter((t) => now - t < this.#windowMs)
    this.#restarts.push(now)
    if (this.#restarts.length > this.#maxRestarts) return undefined
    const attempt = this.#consecutive++
    if (attempt === 0) return this.#initialBackoffMs
    return Math.min(this.#maxBackoffMs, Math.max(1, this.#initialBackoffMs) * 2 ** attempt)
  }

  /** The actor processed an event after a restart: the next failure starts the backoff again. */
  onProgress(): void {
    this.#consecutive = 0
  }
}
