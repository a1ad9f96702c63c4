import type { ConsumedRecord, Headers } from '../transport/types.ts'

/** Told when every stream that received a message has acked it. */
export interface MessageAcker {
  acked(message: Message): void
}

/**
 * One consumed record, shared by every stream it was delivered to. It is acked (and so becomes committable) when
 * the last of them has moved past it. It holds the transport's record rather than copies of its fields: one small
 * object per record.
 */
export class Message {
  /** Streams that still hold the message unacked. */
  refs = 0
  /** The consumer generation (rebalance count) it was fetched in; acks from older generations are ignored. */
  generation = 0
  /** Dropped from the queues on revoke: it will be read again by the partition's next owner. */
  abandoned = false
  /** The ack tracker's handle of the message's partition, set at delivery (acks then need no lookup). */
  tracking: unknown = undefined
  constructor(
    readonly record: ConsumedRecord,
    readonly acker: MessageAcker | null,
  ) {}

  get topic(): string {
    return this.record.topic
  }
  get partition(): number {
    return this.record.partition
  }
  get offset(): number {
    return this.record.offset
  }
  get timestamp(): number {
    return this.record.timestamp
  }
  get key(): Buffer | null {
    return this.record.key
  }
  get value(): Buffer | null {
    return this.record.value
  }
  get headers(): Headers {
    return this.record.headers
  }
  /** Bytes of its key and value (what stream buffers count). */
  get bytes(): number {
    const record = this.record
    return (record.key?.length ?? 0) + (record.value?.length ?? 0)
  }

  release(): void {
    if (--this.refs === 0 && this.acker !== null) this.acker.acked(this)
  }
}

/** Metadata a reply needs, carried from a request to the value the agent yields for it. */
export interface ReplyRequest {
  replyTo: string
  correlationId: string
}

/**
 * A decoded value with its key, headers and origin, as seen by one stream (one delivery of a message). Events
 * derived from it (by `map`) share its ack state.
 */
export class Event<K = unknown, V = unknown> {
  /** The consumed record behind this delivery (shared with events derived from it); null for in-process channels. */
  readonly message: Message | null
  /** The delivery this event was derived from (its ack state is that one's); null when it is itself the root. */
  readonly #root: Event<any, any> | null
  #acked = false

  constructor(
    readonly key: K,
    readonly value: V,
    readonly headers: Headers,
    message: Message | null,
    readonly replyTo: ReplyRequest | null = null,
    root?: Event<any, any>,
  ) {
    if (root === undefined) {
      this.#root = null
      this.message = message
      if (message !== null) message.refs++
    } else {
      this.#root = root.#root ?? root
      this.message = root.message
    }
  }

  get topic(): string | undefined {
    return this.message?.topic
  }
  get partition(): number | undefined {
    return this.message?.partition
  }
  get offset(): number | undefined {
    return this.message?.offset
  }
  get timestamp(): number {
    return this.message?.timestamp ?? Date.now()
  }
  get acked(): boolean {
    return (this.#root ?? this).#acked
  }

  /** Marks this delivery done; idempotent. */
  ack(): void {
    const root = this.#root ?? this
    if (root.#acked) return
    root.#acked = true
    root.message?.release()
  }

  /** The same delivery with another value (and key); acking either acks both. */
  derive<K2, V2>(key: K2, value: V2): Event<K2, V2> {
    return new Event(key, value, this.headers, null, this.replyTo, this)
  }
}
