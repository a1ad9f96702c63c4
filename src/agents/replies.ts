import { AskTimeoutError } from '../errors.ts'
import type { Logger } from '../logging.ts'

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

/**
 * Matches replies to asks by correlation id. A reply that arrives after its ask timed out (or for an ask of
 * another process run) is dropped with a log line.
 */
export class ReplyWaiter {
  readonly #pending = new Map<string, Pending>()
  readonly #log: Logger
  lateReplies = 0

  constructor(
    readonly topicName: string,
    log: Logger,
  ) {
    this.#log = log
  }

  /** A promise for the reply to `correlationId`, rejected with FST_ASK_TIMEOUT after `timeoutMs`. */
  expect(correlationId: string, timeoutMs: number, agentName: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlationId)
        reject(new AskTimeoutError(agentName, timeoutMs, correlationId))
      }, timeoutMs)
      timer.unref?.()
      this.#pending.set(correlationId, { resolve, reject, timer })
    })
  }

  deliver(correlationId: string, value: unknown): void {
    const pending = this.#pending.get(correlationId)
    if (pending === undefined) {
      this.lateReplies++
      this.#log.info(
        { correlationId, replyTopic: this.topicName },
        'dropping a reply nobody waits for (late or foreign)',
      )
      return
    }
    this.#pending.delete(correlationId)
    clearTimeout(pending.timer)
    pending.resolve(value)
  }

  /** Fails every waiting ask (on app stop). */
  cancelAll(error: Error): void {
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer)
      pending.reject(error)
    }
    this.#pending.clear()
  }

  get waiting(): number {
    return this.#pending.size
  }
}
