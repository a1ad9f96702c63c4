/**
 * What happens when an actor's function raises (Faust's supervisor strategies):
 * - `one_for_one`: restart the failed actor only;
 * - `one_for_all`: restart every actor of the agent;
 * - `crashing`: stop the app with the error.
 * A failure while processing an event is progress (the error policy acked or dead-lettered that event, the next run
 * starts after it), so the function restarts at once: an agent failing on every event goes on at full speed. Only
 * failures that handled no event (the function raising before or between events) back off, exponentially while they
 * repeat, up to `maxBackoffMs`, so a broken function does not spin. More than `maxRestarts` within `windowMs`
 * crashes the app (FST_AGENT_CRASHED naming the limit).
 */
export type SupervisorStrategy = 'one_for_one' | 'one_for_all' | 'crashing'

export interface SupervisorOptions {
  strategy?: SupervisorStrategy
  maxRestarts?: number
  windowMs?: number
  initialBackoffMs?: number
  maxBackoffMs?: number
}

/** Counters of an agent's supervisor, for logs, metrics and tests. */
export interface SupervisorStats {
  /** Times the function raised. */
  failures: number
  /** Times an actor's function was started again after a failure. */
  restarts: number
  /** Restarts that waited (failures that handled no event, repeated). */
  backoffs: number
  /** Total time waited before restarts, in ms. */
  backoffMs: number
}

/** Restarts exhausted: why the supervisor gave up. */
export class RestartsExhausted extends Error {
  constructor(
    readonly maxRestarts: number,
    readonly windowMs: number,
    options: { cause: unknown },
  ) {
    const last = options.cause instanceof Error ? options.cause.message : String(options.cause)
    super(
      `more than ${maxRestarts} restarts within ${windowMs} ms (supervisor maxRestarts/windowMs); last error: ${last}`,
      options,
    )
    this.name = 'RestartsExhausted'
  }
}

export class RestartPolicy {
  readonly strategy: SupervisorStrategy
  readonly maxRestarts: number
  readonly windowMs: number
  readonly #initialBackoffMs: number
  readonly #maxBackoffMs: number
  readonly stats: SupervisorStats = { failures: 0, restarts: 0, backoffs: 0, backoffMs: 0 }
  #restarts: number[] = []
  #consecutive = 0

  constructor(options: SupervisorOptions = {}) {
    this.strategy = options.strategy ?? 'one_for_one'
    this.maxRestarts = options.maxRestarts ?? Number.POSITIVE_INFINITY
    this.windowMs = options.windowMs ?? 60_000
    this.#initialBackoffMs = options.initialBackoffMs ?? 0
    this.#maxBackoffMs = options.maxBackoffMs ?? 1_000
  }

  /**
   * Records a failure; returns the delay before restarting, or undefined when the actor must not restart
   * (strategy `crashing`, or restarts exhausted: see `exhausted`).
   */
  onFailure(now = Date.now()): number | undefined {
    this.stats.failures++
    if (this.strategy === 'crashing') return undefined
    if (Number.isFinite(this.maxRestarts)) {
      // Restart times within the window (bounded by maxRestarts + 1 entries).
      this.#restarts = this.#restarts.filter((t) => now - t < this.windowMs)
      this.#restarts.push(now)
      if (this.#restarts.length > this.maxRestarts) return undefined
    }
    const attempt = this.#consecutive++
    const delay =
      attempt === 0
        ? this.#initialBackoffMs
        : Math.min(this.#maxBackoffMs, Math.max(1, this.#initialBackoffMs) * 2 ** attempt)
    this.stats.restarts++
    if (delay > 0) {
      this.stats.backoffs++
      this.stats.backoffMs += delay
    }
    return delay
  }

  /** Whether the last `onFailure` gave up because restarts were exhausted (not because of strategy `crashing`). */
  get exhausted(): boolean {
    return this.strategy !== 'crashing' && this.#restarts.length > this.maxRestarts
  }

  /** The actor handled an event since the last failure (or the failure was the event's): no backoff next time. */
  onProgress(): void {
    this.#consecutive = 0
  }
}
