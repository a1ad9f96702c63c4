import type { MessageOrigin } from '../errors.ts'
import { Event, type Message } from '../streams/event.ts'
import { EventQueue } from '../streams/queue.ts'
import { Stream, type StreamOptions } from '../streams/stream.ts'
import type { SendMessage, StreamChannel, StreamContext } from '../streams/types.ts'
import type { ConsumedRecord, ProduceRecord, Producer, RecordMetadata, TopicSpec } from '../transport/types.ts'
import { CORRELATION_ID_HEADER, REPLY_TO_HEADER, requestFromHeaders, unwrapRequest, wrapRequest } from './reqrep.ts'
import type { Serde, TypeArg } from './serde.ts'

export interface TopicOptions {
  keyType?: TypeArg
  valueType?: TypeArg
  /** Partition count; default the app's `topicPartitions`. */
  partitions?: number
  /** Replication factor; default the app's `topicReplicationFactor`. */
  replicas?: number
  /** `retention.ms`. */
  retention?: number
  /** `cleanup.policy=compact`. */
  compacting?: boolean
  /** With `compacting`: `compact,delete`. */
  deleting?: boolean
  /** Extra broker-side config. */
  config?: Record<string, string>
  /** Created and owned by the app (repartition, changelog, reply topics). */
  internal?: boolean
  /** Created at start when missing (default true, if `topicAllowDeclare`); false: it must exist. */
  declare?: boolean
  /** Buffer size of each stream's queue, in events. */
  maxsize?: number
  /** Buffer size of each stream's queue, in bytes of the records' keys and values. */
  maxBytes?: number
}

/** What a topic needs from its app. */
export interface TopicHost {
  readonly appId: string
  readonly defaultPartitions: number
  readonly defaultReplicas: number
  readonly useReplyHeaders: boolean
  /** The producer; with `topic`, once that topic is ready (a topic declared while running is created first). */
  producer(topic?: string): Promise<Producer>
  /** Throws FST_APP_NOT_STARTED unless the app can send now (started, not stopped). */
  assertCanSend(operation: string): void
  /** Produces without waiting for the acknowledgement; a promise only while the output window is full. */
  sendSoon(record: ProduceRecord): Promise<void> | undefined
  serde(type: TypeArg, role: 'key' | 'value'): Serde
  /** Routes consumed records of `topic` into `queue`. */
  subscribe(topic: Topic<any, any>, queue: EventQueue<any, any>): void
  /** Given to streams of this topic read outside agents (tasks): joins and groupBy need it. */
  readonly streamContext?: StreamContext
}

export type TopicSendMessage<V, K> = SendMessage<K, V>

/**
 * A description of one or more Kafka topics with their key and value types. `send` produces through the app's
 * producer; `stream()` reads through the app's consumer. The first name is the one sends go to.
 */
export class Topic<V = unknown, K = unknown> implements StreamChannel<V, K> {
  readonly names: readonly string[]
  readonly options: TopicOptions
  readonly #host: TopicHost
  #byName: Map<string, Topic<V, K>> | undefined
  #keySerde: Serde | undefined
  #valueSerde: Serde | undefined

  constructor(host: TopicHost, names: string[], options: TopicOptions = {}) {
    this.#host = host
    this.names = names
    this.options = options
  }

  get name(): string {
    return this.names[0]
  }

  /**
   * This topic under one of its names: sends go to that name. A topic with several names sends to its first, so
   * whatever looks a topic up by name (`app.topics`) must get this view, not the multi-name topic itself.
   */
  forName(name: string): Topic<V, K> {
    if (name === this.name) return this
    if (!this.names.includes(name)) throw new Error(`topic ${this.names.join(', ')} has no name "${name}"`)
    this.#byName ??= new Map()
    let view = this.#byName.get(name)
    if (view === undefined) {
      view = new Topic<V, K>(this.#host, [name], this.options)
      this.#byName.set(name, view)
    }
    return view
  }
  get partitions(): number {
    return this.options.partitions ?? this.#host.defaultPartitions
  }
  get keySerde(): Serde {
    this.#keySerde ??= this.#host.serde(this.options.keyType, 'key')
    return this.#keySerde
  }
  get valueSerde(): Serde {
    this.#valueSerde ??= this.#host.serde(this.options.valueType, 'value')
    return this.#valueSerde
  }

  /** The broker-side specs of this topic's names. */
  specs(): TopicSpec[] {
    const config: Record<string, string> = { ...this.options.config }
    if (this.options.compacting) config['cleanup.policy'] = this.options.deleting ? 'compact,delete' : 'compact'
    if (this.options.retention !== undefined) config['retention.ms'] = String(this.options.retention)
    const replicas = this.options.replicas ?? this.#host.defaultReplicas
    return this.names.map((name) => ({ name, partitions: this.partitions, replicas, config }))
  }

  /** Encodes and produces one message; resolves with its partition and offset once the broker has it. */
  async send(message: TopicSendMessage<V, K>): Promise<RecordMetadata> {
    this.#host.assertCanSend(`topic "${this.name}".send`)
    const producer = await this.#host.producer(this.name)
    const [metadata] = await producer.send([this.encode(message)])
    return metadata
  }

  /**
   * Sends without waiting for the broker (Faust's sinks do the same): the record is acknowledged by the next
   * checkpoint, which commits nothing past an event whose output failed. A promise only for backpressure.
   */
  forward(message: TopicSendMessage<V, K>): Promise<void> | undefined {
    return this.#host.sendSoon(this.encode(message))
  }

  /** The transport record for `message` (used directly by batching senders). */
  encode(message: TopicSendMessage<V, K>) {
    const key = message.key === undefined || message.key === null ? null : this.keySerde.encode(message.key)
    let value = this.valueSerde.encode(message.value)
    let headers = message.headers
    if (message.request !== undefined) {
      if (this.#host.useReplyHeaders) {
        headers = {
          ...headers,
          [REPLY_TO_HEADER]: message.request.replyTo,
          [CORRELATION_ID_HEADER]: message.request.correlationId,
        }
      } else {
        value = wrapRequest(value, message.request)
      }
    }
    return { topic: this.name, partition: message.partition, key, value, headers, timestamp: message.timestamp }
  }

  /** A queue that receives this topic's events once the app's consumer runs. */
  queue(): EventQueue<K, V> {
    const queue = new EventQueue<K, V>({ capacity: this.options.maxsize, maxBytes: this.options.maxBytes })
    this.#host.subscribe(this, queue)
    return queue
  }

  stream(options: StreamOptions = {}): Stream<V, K> {
    return new Stream(this.queue(), { channelName: this.name, context: this.#host.streamContext, ...options })
  }

  /** Decodes a consumed record into an event holding `message`; throws DecodeError/ValidationError. */
  decode(record: ConsumedRecord, message: Message): Event<K, V> {
    // The record is the origin errors name (they copy only its topic, partition and offset): no object per record.
    const origin: MessageOrigin = record
    const key = this.keySerde.decode(record.key, origin) as K
    let payload = record.value
    let request = requestFromHeaders(record.headers)
    if (request === null) {
      const unwrapped = unwrapRequest(payload, origin)
      if (unwrapped !== undefined) {
        request = unwrapped.request
        payload = unwrapped.inner
      }
    }
    const value = this.valueSerde.decode(payload, origin) as V
    return new Event(key, value, record.headers, message, request)
  }

  /** A topic named after this one (`prefix + name + suffix`), with the same types unless overridden. */
  derive(options: { prefix?: string; suffix?: string } & TopicOptions): Topic<V, K> {
    const { prefix = '', suffix = '', ...rest } = options
    return new Topic(
      this.#host,
      this.names.map((name) => `${prefix}${name}${suffix}`),
      { ...this.options, ...rest },
    )
  }
}
