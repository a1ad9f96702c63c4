import type { Logger } from '../logging.ts'

export interface LogLimiterOptions {
  /** Lines let through per window. Default 10. */
  burst?: number
  /** Window length in ms. Default 10 s. */
  windowMs?: number
}

/**
 * Rate-limits one kind of log line (an agent's per-event errors): `burst` lines per window, then one summary line
 * per window saying how many were left out, so an agent failing on every event logs a few lines a second, not one
 * per event, and still says it is failing.
 */
export class LogLimiter {
  readonly #log: Logger
  readonly #burst: number
  readonly #windowMs: number
  #windowStart = 0
  #inWindow = 0
  #suppressed = 0
  #summary: NodeJS.Timeout | undefined
  #last: Record<string, unknown> = {}

  constructor(log: Logger, options: LogLimiterOptions = {}) {
    this.#log = log
    this.#burst = options.burst ?? 10
    this.#windowMs = options.windowMs ?? 10_000
  }

  /** Logs `fields`/`message` at error level unless the window's burst is used up (then counts it). */
  error(fields: Record<string, unknown>, message: string): void {
    const now = Date.now()
    if (now - this.#windowStart >= this.#windowMs) {
      this.#windowStart = now
      this.#inWindow = 0
    }
    if (this.#inWindow < this.#burst) {
      this.#inWindow++
      this.#log.error(fields, message)
      return
    }
    this.#suppressed++
    this.#last = fields
    // One summary at the end of the window; unref'd so it never keeps the process alive.
    this.#summary ??= setTimeout(() => this.flush(), this.#windowStart + this.#windowMs - now).unref()
  }

  /** Logs the summary of what was left out, if anything. */
  flush(): void {
    if (this.#summary !== undefined) clearTimeout(this.#summary)
    this.#summary = undefined
    if (this.#suppressed === 0) return
    const suppressed = this.#suppressed
    this.#suppressed = 0
    this.#log.error(
      { ...this.#last, suppressed, windowMs: this.#windowMs },
      `${suppressed} more errors like this one were not logged (at most ${this.#burst} per ${this.#windowMs} ms)`,
    )
  }
}
