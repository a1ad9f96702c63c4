/**
 * The memory producer: appends synchronously to the partition logs and resolves one promise per `send` (never per
 * record). Idle consumers of the touched partitions are woken once per batch, after all of it is appended.
 *
 * Buffers are stored as given, not copied: do not mutate a key, value or header buffer after sending it. The
 * metadata returned for a record is the stored record itself: read it, do not change it.
 */
import { TransportError } from '../../errors.ts'
import { partitionForKey } from '../murmur2.ts'
import type { ConsumedRecord, Headers, ProduceRecord, Producer, RecordMetadata } from '../types.ts'
import type { MemoryBroker, MemoryTopic } from './broker.ts'
import type { PartitionLog } from './log.ts'

/** Shared by every record sent without headers; frozen because consumers share records. */
const NO_HEADERS: Headers = Object.freeze({}) as Headers

/** Where a transactional producer's appends are recorded (see transactions.ts). */
export interface TransactionSink {
  /** The open transaction records go to (opening one if needed); throws when the producer was fenced. */
  current(): object
  wrote(log: PartitionLog, offset: number): void
}

export class MemoryProducer implements Producer {
  readonly #broker: MemoryBroker
  readonly #transactions: TransactionSink | undefined
  /** Next partition per topic for records without key or partition. */
  readonly #roundRobin = new Map<string, number>()
  #closed = false
  /** The last send that waited (a held topic): later sends wait for it too, so records keep their order. */
  #waiting: Promise<unknown> | undefined

  constructor(broker: MemoryBroker, transactions?: TransactionSink) {
    this.#broker = broker
    this.#transactions = transactions
  }

  send(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    if (this.#closed) return Promise.reject(new TransportError('FST_TRANSPORT', 'producer is closed'))
    const gate = this.#broker.produceGate(records)
    if (gate === undefined && this.#waiting === undefined) {
      try {
        return Promise.resolve(this.#append(records))
      } catch (error) {
        return Promise.reject(error)
      }
    }
    const previous = this.#waiting ?? Promise.resolve()
    const sent = Promise.all([previous.catch(() => {}), gate]).then(() => this.#append(records))
    const settled = sent.catch(() => {})
    this.#waiting = settled
    void settled.then(() => {
      if (this.#waiting === settled) this.#waiting = undefined
    })
    return sent
  }

  async flush(): Promise<void> {
    // Every send is acknowledged when it returns, except those waiting on a held topic.
    while (this.#waiting !== undefined) await this.#waiting
  }

  close(): Promise<void> {
    this.#closed = true
    return Promise.resolve()
  }

  #append(records: ProduceRecord[]): RecordMetadata[] {
    const now = Date.now()
    const out = new Array<RecordMetadata>(records.length)
    let toWake: PartitionLog[] | null = null
    this.#check(records)
    let topic: MemoryTopic | undefined
    const transactions = this.#transactions
    const transaction = transactions?.current()
    try {
      for (let i = 0; i < records.length; i++) {
        const record = records[i]
        // Batches are usually to one topic: look it up only when it changes.
        if (topic === undefined || topic.name !== record.topic) topic = this.#broker.topicForProduce(record.topic)
        const partition = this.#partition(topic, record)
        const log = topic.partitions[partition]
        const stored: ConsumedRecord = {
          topic: record.topic,
          partition,
          offset: log.latest,
          key: record.key,
          value: record.value,
          headers: record.headers === undefined ? NO_HEADERS : toHeaders(record.headers),
          timestamp: record.timestamp ?? now,
        }
        log.append(stored, transaction)
        transactions?.wrote(log, stored.offset)
        // The stored record carries every metadata field: returning it saves an allocation per record.
        out[i] = stored
        if (log.hasWaiters && !log.wakePending) {
          log.wakePending = true
          ;(toWake ??= []).push(log)
        }
      }
    } finally {
      if (toWake !== null) {
        for (const log of toWake) {
          log.wakePending = false
          log.wake()
        }
      }
    }
    return out
  }

  /** Refusals before anything is appended, so a refused send leaves no part of itself in the logs. */
  #check(records: ProduceRecord[]): void {
    let topic: MemoryTopic | undefined
    for (let i = 0; i < records.length; i++) {
      const record = records[i]
      if (topic === undefined || topic.name !== record.topic) topic = this.#broker.topicForProduce(record.topic)
      if (topic.maxMessageBytes !== undefined) checkSize(topic, record)
    }
  }

  #partition(topic: MemoryTopic, record: ProduceRecord): number {
    const count = topic.partitions.length
    if (record.partition !== undefined) {
      if (Number.isInteger(record.partition) && record.partition >= 0 && record.partition < count) {
        return record.partition
      }
      throw new TransportError(
        'FST_TRANSPORT',
        `partition ${record.partition} out of range for topic "${topic.name}" (${count} partitions)`,
        { details: { topic: topic.name, partition: record.partition, partitions: count } },
      )
    }
    if (record.key !== null && record.key !== undefined) return partitionForKey(record.key, count)
    const next = this.#roundRobin.get(topic.name) ?? 0
    this.#roundRobin.set(topic.name, next + 1)
    return next % count
  }
}

/** Kafka's `max.message.bytes` of a topic, applied to one record (key, value and headers). */
function checkSize(topic: MemoryTopic, record: ProduceRecord): void {
  let size = (record.key?.length ?? 0) + (record.value?.length ?? 0)
  for (const name in record.headers ?? {}) size += name.length + Buffer.byteLength(record.headers![name])
  if (size > topic.maxMessageBytes!) {
    throw new TransportError(
      'FST_OUTPUT_REFUSED',
      `record of ${size} bytes refused by topic "${topic.name}" (max.message.bytes ${topic.maxMessageBytes})`,
      { details: { topic: topic.name, size, max: topic.maxMessageBytes } },
    )
  }
}

function toHeaders(given: Record<string, Buffer | string>): Headers {
  const headers: Headers = {}
  for (const name in given) {
    const value = given[name]
    headers[name] = typeof value === 'string' ? Buffer.from(value) : value
  }
  return headers
}
