import { randomUUID } from 'node:crypto'
import { ReplyWaiter } from '../agents/replies.ts'
import { decodeReply } from '../channels/reqrep.ts'
import type { Clock } from '../clock.ts'
import { FaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Consumer, Transport } from '../transport/types.ts'

export interface ReplyTopicHost {
  readonly log: Logger
  readonly clock?: Clock
  readonly replicas: number
  readonly replyExpiresMs: number
  connect(): Promise<Transport>
  decodeReplyValue(value: unknown): unknown
}

/** The per-process reply topic (Faust's reply_to) and its reader, created on first ask. */
export class ReplyTopic {
  readonly #host: ReplyTopicHost
  #replies: Promise<{ waiter: ReplyWaiter; reader: Consumer }> | undefined
  /** The reply waiter once started, read synchronously by `app.stats()`. */
  #waiter: ReplyWaiter | undefined

  constructor(host: ReplyTopicHost) {
    this.#host = host
  }

  waiter(): Promise<ReplyWaiter> {
    if (this.#replies === undefined) {
      const starting = this.#start()
      this.#replies = starting
      starting.then(
        (r) => {
          if (this.#replies === starting) this.#waiter = r.waiter
        },
        () => {},
      )
      // A failed start (broker briefly away) is not kept: the next ask tries again.
      starting.catch(() => {
        if (this.#replies === starting) this.#replies = undefined
      })
    }
    return this.#replies.then((r) => r.waiter)
  }

  /** Asks waiting for their reply (0 before the first ask). */
  get waiting(): number {
    return this.#waiter?.waiting ?? 0
  }

  async #start(): Promise<{ waiter: ReplyWaiter; reader: Consumer }> {
    const host = this.#host
    const transport = await host.connect()
    // Faust's default reply_to: f-reply-<uuid4>, one partition, deleted after `reply_expires`.
    const name = `f-reply-${randomUUID()}`
    await transport.ensureTopics([
      {
        name,
        partitions: 1,
        replicas: host.replicas,
        config: { 'cleanup.policy': 'delete', 'retention.ms': String(host.replyExpiresMs) },
      },
    ])
    const log = host.log
    const waiter = new ReplyWaiter(name, log, host.clock)
    const reader = transport.createConsumer({
      handler: {
        onAssigned: () => {},
        onRevoked: () => {},
        onRecords: (records) => {
          for (const record of records) {
            try {
              const reply = decodeReply(record.value, record)
              waiter.deliver(reply.correlationId, host.decodeReplyValue(reply.value))
            } catch (error) {
              log.error({ ...errorFields(error), topic: name, offset: record.offset }, 'skipping an unreadable reply')
            }
          }
        },
      },
    })
    await reader.assign([{ topic: name, partition: 0, offset: 0 }])
    await reader.start()
    return { waiter, reader }
  }

  /** Cancels the asks still waiting and closes the reader. */
  async close(): Promise<void> {
    if (this.#replies === undefined) return
    const { waiter, reader } = await this.#replies.catch(() => ({ waiter: undefined, reader: undefined }))
    waiter?.cancelAll(new FaustusError('FST_APP_NOT_STARTED', 'the app stopped before the reply arrived'))
    await reader?.close()
    this.#replies = undefined
    this.#waiter = undefined
  }
}
