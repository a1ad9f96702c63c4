import { type Clock, realClock } from '../clock.ts'
import { AskTimeoutError } from '../errors.ts'
import type { Logger } from '../logging.ts'

const FORGOTTEN_MAX = 100_000

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  cancelTimer(): void
}

/**
 * Matches replies to asks by correlation id. A reply that arrives after its ask timed out (or for an ask of
 * another process run) is dropped with a log line.
 */
export class ReplyWaiter {
  readonly #pending = new Map<string, Pending>()
  /** Recently forgotten ids: their replies are expected to come and are dropped quietly. */
  readonly #forgotten = new Set<string>()
  readonly #log: Logger
  readonly #clock: Clock
  lateReplies = 0

  constructor(
    readonly topicName: string,
    log: Logger,
    clock: Clock = realClock,
  ) {
    this.#log = log
    this.#clock = clock
  }

  /**
   * A promise for the reply to `correlationId`, rejected with FST_ASK_TIMEOUT after `timeoutMs`. It is registered
   * before the request is sent (a reply may beat the send's acknowledgement), so it can reject before its asker
   * awaits it (a stop during the send): it is marked handled here, and the asker still sees the rejection.
   */
  expect(correlationId: string, timeoutMs: number, agentName: string): Promise<unknown> {
    const reply = new Promise((resolve, reject) => {
      const cancelTimer = this.#clock.schedule(timeoutMs, () => {
        this.#pending.delete(correlationId)
        reject(new AskTimeoutError(agentName, timeoutMs, correlationId))
      })
      this.#pending.set(correlationId, { resolve, reject, cancelTimer })
    })
    reply.catch(() => {})
    return reply
  }

  /** Stops waiting for `correlationId` (its request was never sent, or nobody wants the reply any more). */
  forget(correlationId: string): void {
    const pending = this.#pending.get(correlationId)
    if (pending === undefined) return
    this.#pending.delete(correlationId)
    pending.cancelTimer()
    this.#forgotten.add(correlationId)
    if (this.#forgotten.size > FORGOTTEN_MAX) this.#forgotten.delete(this.#forgotten.values().next().value!)
  }

  deliver(correlationId: string, value: unknown): void {
    const pending = this.#pending.get(correlationId)
    if (pending === undefined) {
      if (this.#forgotten.delete(correlationId)) return
      this.lateReplies++
      this.#log.info(
        { correlationId, replyTopic: this.topicName },
        'dropping a reply nobody waits for (late or foreign)',
      )
      return
    }
    this.#pending.delete(correlationId)
    pending.cancelTimer()
    pending.resolve(value)
  }

  /** Fails every waiting ask (on app stop). */
  cancelAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      pending.cancelTimer()
      pending.reject(error)
    }
    this.#pending.clear()
  }

  get waiting(): number {
    return this.#pending.size
  }
}
