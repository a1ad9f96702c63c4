/**
 * The Kafka producer: idempotent, acks=all, batching with linger, bounded buffering.
 *
 * `send` calls are queued in call order; a queue is sent as one produce request (one record batch per partition)
 * when it reaches `batchMaxRecords`, after `lingerMs`, or at once when little is being sent, with at most
 * `maxInFlightRequests` requests in flight (while they are, the queue keeps growing into a bigger batch). Records
 * queued or in flight are bounded by `maxBufferedRecords` and `maxBufferedBytes`: a `send` beyond either waits for
 * acknowledgements (backpressure), in order.
 * Partitions are chosen before the library sees the records (partitioning.ts), so metadata can report them.
 */
import { Producer as LibraryProducer, ProduceAcks } from '@platformatic/kafka'
import { TransportError } from '../../errors.ts'
import type {
  GroupMetadata,
  ProduceRecord,
  Producer,
  ProducerOptions,
  RecordMetadata,
  TopicPartitionOffset,
  TransactionalProducer,
} from '../types.ts'
import { toTransportError } from './errors.ts'
import { IdempotentSender } from './idempotent-sender.ts'
import { libraryWire } from './library-wire.ts'
import { Transactions } from './open-transaction.ts'
import { baseClientOptions, type KafkaConfig } from './options.ts'
import { bytesOf, Partitioner, partitionCounts, toHeaderMap } from './partitioning.ts'
import { type Message, settleRequests, splitByBatchBytes } from './produce-requests.ts'
import { watchConnections } from './security.ts'
import { produceError } from './transactions.ts'

export interface KafkaProducerOptions extends ProducerOptions {
  /** Records per produce request before it is sent without waiting for linger. Default 10,000. */
  batchMaxRecords?: number
  /** Produce requests in flight (issued in order; the idempotent library client writes one at a time). Default 2. */
  maxInFlightRequests?: number
  /** Bytes of one partition's record batch (keep under the broker's `message.max.bytes`). Default 1,000,000. */
  maxBatchBytes?: number
  /** Makes the producer transactional (see TransactionalProducer). */
  transactionalId?: string
  /** The broker aborts a transaction open longer than this. Default 10 s (Kafka Streams' under exactly-once). */
  transactionTimeoutMs?: number
}

/** Below this many records queued and in the last request, the producer does not linger. */
const LIGHT_LOAD = 16

interface Pending {
  records: ProduceRecord[]
  bytes: number
  resolve: (metadata: RecordMetadata[]) => void
  reject: (error: unknown) => void
}

interface Waiter {
  count: number
  bytes: number
  resume: () => void
}

export class KafkaProducer implements Producer, TransactionalProducer {
  readonly #config: KafkaConfig
  readonly #client: LibraryProducer
  readonly #lingerMs: number
  readonly #batchMax: number
  readonly #maxInFlight: number
  readonly #maxBuffered: number
  readonly #maxBufferedBytes: number
  readonly #maxBatchBytes: number
  readonly #partitioner = new Partitioner()
  #queue: Pending[] = []
  #queued = 0
  /** Records accepted and not yet acknowledged (queued + in flight), and their bytes. */
  #buffered = 0
  #bufferedBytes = 0
  #waiters: Waiter[] = []
  #inFlight = new Set<Promise<void>>()
  #timer: NodeJS.Timeout | undefined
  /** Records of the last request sent: a small one means light load (see `#dispatch`). */
  #lastRequestRecords = 0
  #closed = false
  /** Aborted by close(): retries of sends give up. */
  readonly #abort = new AbortController()
  /** Settles when the previous request was handed to the library: requests are issued in dispatch order. */
  #issued: Promise<void> = Promise.resolve()
  readonly #transactionalId: string | undefined
  /** Set while a transaction ends: sends wait in `#held` for the next one. */
  #ending = false
  #held: Pending[] = []
  /** The transactions of a transactional producer. */
  readonly #transactions: Transactions | undefined
  /** Produce requests: retries keep producer id and sequences (a transactional producer's are its transaction's). */
  readonly #sender: IdempotentSender
  /** Producer id and epoch the sender's sequences belong to (transactional producers). */
  #senderEpoch = ''

  constructor(config: KafkaConfig, options: KafkaProducerOptions = {}) {
    this.#config = config
    this.#lingerMs = options.lingerMs ?? 5
    this.#batchMax = Math.max(1, options.batchMaxRecords ?? 10_000)
    this.#maxInFlight = Math.max(1, options.maxInFlightRequests ?? 2)
    this.#maxBuffered = Math.max(1, options.maxBufferedRecords ?? 100_000)
    this.#maxBufferedBytes = Math.max(1024, options.maxBufferedBytes ?? 1024 * 1024)
    this.#maxBatchBytes = Math.max(1024, options.maxBatchBytes ?? 1_000_000)
    this.#transactionalId = options.transactionalId
    const base = baseClientOptions(config, 'producer', 5)
    this.#client = new LibraryProducer({
      // Few library-level retries: ours (fresh metadata each time, no deadline once connected) take over.
      ...base,
      // The library sends its request timeout as the transaction timeout of InitProducerId.
      ...(options.transactionalId === undefined
        ? {}
        : { transactionalId: options.transactionalId, timeout: options.transactionTimeoutMs ?? 10_000 }),
      idempotent: true,
      acks: ProduceAcks.ALL,
      compression: options.compression ?? 'none',
      autocreateTopics: false,
    })
    watchConnections(config, this.#client)
    const compression = options.compression ?? 'none'
    const wire = libraryWire(config, this.#client, { compression, transactionalId: this.#transactionalId })
    // A transaction's send retries stop at half its timeout: the checkpoint then aborts it (and rewinds) before the
    // broker would.
    const retryDeadlineMs = (options.transactionTimeoutMs ?? 10_000) / 2
    if (this.#transactionalId !== undefined) {
      this.#transactions = new Transactions(config, this.#client, {
        transactionalId: this.#transactionalId,
        signal: this.#abort.signal,
        retryDeadlineMs,
      })
    }
    this.#sender = new IdempotentSender(config, wire, this.#abort.signal, {
      transactional: this.#transactions !== undefined,
      retryDeadlineMs: this.#transactions === undefined ? undefined : retryDeadlineMs,
    })
  }

  send(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    if (this.#closed) return Promise.reject(new TransportError('FST_TRANSPORT', 'producer is closed'))
    if (records.length === 0) return Promise.resolve([])
    return new Promise<RecordMetadata[]>((resolve, reject) => {
      const bytes = bytesOf(records)
      const pending: Pending = { records, bytes, resolve, reject }
      const count = records.length
      // Over the bound (and not alone): wait, in order, for acknowledgements to make room.
      if (this.#waiters.length > 0 || this.#full(count, bytes)) {
        this.#waiters.push({ count, bytes, resume: () => this.#enqueue(pending) })
        return
      }
      this.#enqueue(pending)
    })
  }

  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight.size > 0 || (this.#waiters.length > 0 && !this.#ending)) {
      this.#dispatch(true)
      if (this.#inFlight.size > 0) await Promise.race(this.#inFlight)
      else await new Promise((resolve) => setImmediate(resolve))
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    // A transaction still open is aborted, not left to time out (read_committed readers would wait for it).
    if (this.#transactions?.open) await this.abort().catch(() => {})
    await this.flush()
    this.#closed = true
    this.#abort.abort()
    await this.#client.close(true).catch(() => {})
  }

  // Transactions (transactional producers only).

  sendOffsets(offsets: TopicPartitionOffset[], group: GroupMetadata): Promise<void> {
    return this.#transactions!.sendOffsets(offsets, group)
  }

  async commit(): Promise<void> {
    await this.#endTransaction(true)
  }

  async abort(): Promise<void> {
    await this.#endTransaction(false)
  }

  /** Waits for the transaction's sends, ends it; sends made meanwhile wait and go into the next one. */
  async #endTransaction(commit: boolean): Promise<void> {
    this.#ending = true
    try {
      let flushError: unknown
      await this.flush().catch((error) => {
        flushError = error
      })
      await this.#transactions!.end(commit, flushError)
    } finally {
      this.#ending = false
      const held = this.#held
      this.#held = []
      for (const pending of held) this.#enqueue(pending)
    }
  }

  #enqueue(pending: Pending): void {
    if (this.#ending) {
      this.#held.push(pending)
      return
    }
    this.#buffered += pending.records.length
    this.#bufferedBytes += pending.bytes
    this.#queue.push(pending)
    this.#queued += pending.records.length
    this.#dispatch(false)
  }

  /** Sends the queue when it is full or lingered long enough (or `now`), if a request slot is free. */
  #dispatch(now: boolean): void {
    if (this.#queue.length === 0) return
    if (this.#inFlight.size >= this.#maxInFlight) return
    // Linger adapts to load: when little is being sent (nothing in flight, or a handful of records now and in the
    // last request: asks and their replies), waiting only adds latency, so the queue goes at once; under load,
    // records gather while earlier requests are in flight and during linger.
    const light = this.#inFlight.size === 0 || (this.#queued < LIGHT_LOAD && this.#lastRequestRecords < LIGHT_LOAD)
    if (!now && this.#queued < this.#batchMax && this.#lingerMs > 0 && !light) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined
        this.#dispatch(true)
      }, this.#lingerMs)
      return
    }
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    const batch: Pending[] = []
    let count = 0
    let bytes = 0
    while (this.#queue.length > 0 && (batch.length === 0 || count + this.#queue[0].records.length <= this.#batchMax)) {
      const next = this.#queue.shift()!
      batch.push(next)
      count += next.records.length
      bytes += next.bytes
    }
    this.#queued -= count
    this.#lastRequestRecords = count
    const request = this.#produce(batch).finally(() => {
      this.#inFlight.delete(request)
      this.#release(count, bytes)
      this.#dispatch(this.#queued >= this.#batchMax || this.#inFlight.size === 0)
    })
    this.#inFlight.add(request)
    // More queued than one request takes: send it too if a slot is free.
    if (this.#queued > 0) this.#dispatch(this.#queued >= this.#batchMax)
  }

  /** Whether `count` more records of `bytes` would pass a bound (a send alone in the buffer always goes). */
  #full(count: number, bytes: number): boolean {
    return (
      this.#buffered > 0 &&
      (this.#buffered + count > this.#maxBuffered || this.#bufferedBytes + bytes > this.#maxBufferedBytes)
    )
  }

  #release(count: number, bytes: number): void {
    this.#buffered -= count
    this.#bufferedBytes -= bytes
    while (this.#waiters.length > 0) {
      const next = this.#waiters[0]
      if (this.#full(next.count, next.bytes)) break
      this.#waiters.shift()
      next.resume()
    }
  }

  async #produce(batch: Pending[]): Promise<void> {
    const previous = this.#issued
    let issued!: () => void
    this.#issued = new Promise((resolve) => {
      issued = resolve
    })
    try {
      await this.#produceInOrder(batch, previous, issued)
    } finally {
      issued()
    }
  }

  async #produceInOrder(batch: Pending[], previous: Promise<void>, issued: () => void): Promise<void> {
    let counts: Map<string, number>
    try {
      counts = await partitionCounts(
        this.#config,
        this.#client,
        batch.map((p) => p.records),
        this.#abort.signal,
      )
    } catch (error) {
      for (const p of batch) p.reject(toTransportError(this.#config, 'producing', error))
      return
    }
    const messages: Message[] = []
    const metadata: RecordMetadata[] = [] // aligned with messages
    const accepted: { pending: Pending; metadata: RecordMetadata[] }[] = []
    const now = Date.now()
    const nowBig = BigInt(now)
    for (const pending of batch) {
      const start = messages.length
      try {
        const own: RecordMetadata[] = []
        for (const record of pending.records) {
          const count = counts.get(record.topic)
          if (count === undefined) {
            throw new TransportError('FST_TOPIC_UNKNOWN', `topic "${record.topic}" does not exist`, {
              details: { topic: record.topic },
            })
          }
          const partition = this.#partitioner.partition(record, count)
          const timestamp = record.timestamp ?? now
          messages.push({
            topic: record.topic,
            partition,
            key: record.key ?? undefined,
            value: record.value ?? undefined,
            headers: record.headers === undefined ? undefined : toHeaderMap(record.headers),
            timestamp: record.timestamp === undefined ? nowBig : BigInt(timestamp),
          })
          own.push({ topic: record.topic, partition, offset: -1, timestamp })
        }
        // Not push(...own): a send of over ~100k records would pass the engine's argument limit.
        for (let i = 0; i < own.length; i++) metadata.push(own[i])
        accepted.push({ pending, metadata: own })
      } catch (error) {
        messages.length = start
        pending.reject(error)
      }
    }
    if (messages.length === 0) return
    await previous
    try {
      const requests = splitByBatchBytes(messages, this.#maxBatchBytes)
      if (this.#transactions !== undefined) {
        // Partitions join the transaction here, once per request and in order (the library's own transactional
        // send adds them per send, and merges concurrent additions into one, losing all but the first one's).
        await this.#transactions.addPartitions(counts, messages)
        const epoch = `${this.#client.producerId}:${this.#client.producerEpoch}`
        if (epoch !== this.#senderEpoch) this.#sender.reset()
        this.#senderEpoch = epoch
      }
      // Issued back to back, in order. Retriable failures (leader elections, a broker restarting) are retried from
      // fresh metadata, keeping producer id and sequence numbers (idempotent-sender.ts: the broker drops a batch it
      // already has): outside a transaction for as long as it takes; inside one until the retry deadline, after
      // which the checkpoint aborts the transaction.
      const sending = requests.map((request) => this.#sender.send(request))
      issued()
      const { failed, failure } = settleRequests(requests, await Promise.allSettled(sending), metadata)
      if (failure === undefined) {
        for (const { pending, metadata: own } of accepted) pending.resolve(own)
        return
      }
      const error = produceError(this.#config, this.#transactionalId, failure)
      // A refusal fails only the sends with records in refused partitions: the other partitions were written.
      const partial = error.code === 'FST_OUTPUT_REFUSED'
      for (const { pending, metadata: own } of accepted) {
        if (partial && !own.some((m) => failed.has(m))) pending.resolve(own)
        else pending.reject(error)
      }
    } catch (error) {
      const failure = produceError(this.#config, this.#transactionalId, error)
      for (const { pending } of accepted) pending.reject(failure)
    }
  }
}
