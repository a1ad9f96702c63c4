/**
 * The transport interface: everything Faustus needs from a log-based broker. The memory driver and the Kafka driver
 * implement it; nothing above `transport/` knows which one runs. `test/contracts/transport.ts` is the executable
 * form of this contract.
 *
 * Conventions (Kafka's): offsets are the position of a record in its partition, starting at 0; a committed offset
 * is the offset of the next record to read; timestamps are milliseconds since the epoch. Offsets are JS numbers
 * (exact up to 2^53, far beyond any real partition).
 */

export interface TopicPartition {
  topic: string
  partition: number
}

export interface TopicPartitionOffset extends TopicPartition {
  offset: number
}

/** Header values as bytes; on produce, strings are accepted and sent as UTF-8. */
export type Headers = Record<string, Buffer>

export interface ProduceRecord {
  topic: string
  /** Explicit partition. Without it: murmur2(key) % partitions (as Kafka's Java client), or round-robin if no key. */
  partition?: number
  key: Buffer | null
  value: Buffer | null
  headers?: Record<string, Buffer | string>
  timestamp?: number
}

export interface RecordMetadata {
  topic: string
  partition: number
  offset: number
  timestamp: number
}

export interface ConsumedRecord {
  topic: string
  partition: number
  offset: number
  key: Buffer | null
  value: Buffer | null
  headers: Headers
  timestamp: number
}

export interface TopicSpec {
  name: string
  partitions: number
  /** Replication factor; drivers clamp it to the broker count where the broker allows. */
  replicas?: number
  /** Broker-side topic config, e.g. `cleanup.policy`, `retention.ms`. */
  config?: Record<string, string>
}

export interface TopicDescription {
  name: string
  partitions: number
}

export interface PartitionOffsets extends TopicPartition {
  /** First offset still in the log. */
  earliest: number
  /** Offset the next produced record will get (the high watermark). */
  latest: number
}

export interface ProducerOptions {
  /** Compression of batches, where the driver supports it. */
  compression?: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
  /** Max time a record waits to fill a batch, in ms. */
  lingerMs?: number
  /** Max records in flight before `send` waits (backpressure). */
  maxBufferedRecords?: number
  /** Max bytes (keys, values, headers) in flight before `send` waits (backpressure). */
  maxBufferedBytes?: number
}

export interface Producer {
  /** Sends records; resolves with their metadata, in the same order, once the broker acknowledged them. */
  send(records: ProduceRecord[]): Promise<RecordMetadata[]>
  /** Resolves when every record sent so far is acknowledged. */
  flush(): Promise<void>
  close(): Promise<void>
}

/** A member's identity in its group's current generation: what fences a zombie's transactional offset commit. */
export interface GroupMetadata {
  groupId: string
  generationId: number
  memberId: string
}

export interface TransactionalProducerOptions extends ProducerOptions {
  /** Unique per live producer; a new producer with the same id fences the old one (aborting its transaction). */
  transactionalId: string
  /** The broker aborts a transaction left open longer than this (a worker that died mid-transaction). */
  transactionTimeoutMs?: number
}

/**
 * A producer whose sends form transactions (Kafka's exactly-once, EOS v2): a transaction begins with the first
 * `send` after a commit or abort; its records and the offsets given to `sendOffsets` become visible to
 * `read_committed` readers together at `commit`, or never (`abort`).
 *
 * Fencing: `sendOffsets` carries the consumer's group metadata, and the group refuses it when the member is no
 * longer in that generation (a zombie after a rebalance); a newer producer with the same transactional id fences
 * this one. Both fail with FST_PRODUCER_FENCED; the transaction must then be aborted.
 */
export interface TransactionalProducer extends Producer {
  /**
   * Adds consumed offsets (next offset to read) to the open transaction, for `group`. With none, the group's offsets
   * still join the transaction: its end (an abort) clears offsets a previous epoch of this producer left pending
   * there, which would otherwise keep `committed` offsets unstable (a transaction cut off by a broker restart).
   */
  sendOffsets(offsets: TopicPartitionOffset[], group: GroupMetadata): Promise<void>
  /**
   * Commits the open transaction (nothing to do when none is open). It is sealed at the call: sends made from then
   * on wait and go into the next transaction. Its sends are awaited, then it commits with the offsets given to
   * `sendOffsets`.
   */
  commit(): Promise<void>
  /** Aborts the open transaction, if any: its records are never visible to `read_committed` readers. */
  abort(): Promise<void>
}

/** What a member holds after a rebalance: partitions it processes, and partitions it only follows (standbys). */
export interface Assignment {
  actives: TopicPartition[]
  standbys: TopicPartition[]
}

/** One member of a consumer group, as the group leader's assignor sees it. */
export interface GroupMember {
  memberId: string
  topics: string[]
  /** The member's subscription user data (Faust: JSON ClientMetadata). */
  userData: Buffer | null
}

export interface MemberAssignment {
  /** The Kafka-level partitions the member fetches (actives and standbys). */
  partitions: TopicPartition[]
  /** Opaque assignment user data sent to this member only. */
  userData: Buffer | null
}

/**
 * The group protocol, run by the group leader. The same assignor runs on every transport so assignments are
 * identical on memory and Kafka.
 */
export interface Assignor {
  /** Protocol name announced to the broker (Faust: `faust`). */
  readonly name: string
  readonly version: number
  /** This member's subscription user data. */
  subscriptionUserData(topics: string[]): Buffer | null
  assign(input: { members: GroupMember[]; partitionsPerTopic: Map<string, number> }): Map<string, MemberAssignment>
  /** Decodes what this member received into actives and standbys. */
  decodeAssignment(partitions: TopicPartition[], userData: Buffer | null): Assignment
}

/** Receives a consumer's events. Each method is awaited before the consumer goes on, which gives backpressure. */
export interface ConsumerHandler {
  /** Partitions newly given to this member (actives and standbys); fetching starts after this resolves. */
  onAssigned(assignment: Assignment): Promise<void> | void
  /** Partitions being taken away: stop processing them, flush and commit before resolving. */
  onRevoked(partitions: TopicPartition[]): Promise<void> | void
  /** A batch of records, all from assigned, unpaused partitions, in offset order within each partition. */
  onRecords(records: ConsumedRecord[]): Promise<void> | void
  /**
   * Optional: where reading a partition got to (the next offset to read), after records and after what is never
   * delivered (transaction markers, aborted records). Readers that stop at an end offset need it.
   */
  onPosition?(position: TopicPartitionOffset): void
}

export interface ConsumerOptions {
  /** Consumer group; absent for a manually assigned reader (table recovery, tools). */
  groupId?: string
  /** Topics to subscribe to (group mode). */
  topics?: string[]
  handler: ConsumerHandler
  /** Group protocol; defaults to the driver's co-partitioning assignor. */
  assignor?: Assignor
  /** Where to start a partition that has no committed offset. Default `earliest`. */
  autoOffsetReset?: 'earliest' | 'latest'
  /** Upper bound on records per `onRecords` batch. */
  maxBatchSize?: number
  /**
   * `read_committed` (the default): records of open transactions are not delivered until committed, those of
   * aborted ones never. `read_uncommitted`: everything, as written.
   */
  isolationLevel?: IsolationLevel
}

export type IsolationLevel = 'read_committed' | 'read_uncommitted'

export interface Consumer {
  /** Joins the group (or starts reading the manual assignment). Resolves once the first assignment is handled. */
  start(): Promise<void>
  /** Replaces the manual assignment (no group): read exactly these partitions from these offsets. */
  assign(partitions: TopicPartitionOffset[]): Promise<void>
  /** Commits offsets (next offset to read) for the group. */
  commit(offsets: TopicPartitionOffset[]): Promise<void>
  /** Committed offsets of the group for these partitions; a partition with none is absent. */
  committed(partitions: TopicPartition[]): Promise<Map<string, number>>
  /** Stops fetching these partitions until resumed; records already delivered are unaffected. */
  pause(partitions: TopicPartition[]): void
  resume(partitions: TopicPartition[]): void
  /** Moves the read position of an assigned partition. */
  seek(position: TopicPartitionOffset): void
  /** The current assignment. */
  assignment(): Assignment
  /** The member's group, generation and member id; undefined without a group or between generations. */
  groupMetadata(): GroupMetadata | undefined
  /** Leaves the group (revoking everything first) and stops fetching. */
  close(): Promise<void>
}

export interface Transport {
  /** `memory` or `kafka`. */
  readonly kind: string
  connect(): Promise<void>
  close(): Promise<void>
  /** Creates missing topics; fails with FST_TOPIC_PARTITIONS_MISMATCH when an existing one differs in partitions. */
  ensureTopics(specs: TopicSpec[]): Promise<void>
  /** Existing topics among `names`; missing ones are absent from the map. */
  describeTopics(names: string[]): Promise<Map<string, TopicDescription>>
  deleteTopics(names: string[]): Promise<void>
  /**
   * Earliest and latest offsets of partitions. `latest` is the end a `read_committed` reader reaches (the last
   * stable offset: before the first open transaction) unless `isolationLevel` is `read_uncommitted`.
   */
  listOffsets(partitions: TopicPartition[], options?: { isolationLevel?: IsolationLevel }): Promise<PartitionOffsets[]>
  /**
   * Forgets every committed offset of a consumer group (its members then start where `autoOffsetReset` says) and
   * returns the topics it had offsets for. FST_GROUP_ACTIVE while the group has members.
   */
  resetGroup(groupId: string): Promise<string[]>
  createProducer(options?: ProducerOptions): Producer
  createTransactionalProducer(options: TransactionalProducerOptions): TransactionalProducer
  createConsumer(options: ConsumerOptions): Consumer
}

/** Bytes counted per record on top of its key, value and headers: the objects around them. */
const RECORD_OVERHEAD = 64

/** The bytes a record holds while it waits to be sent and acknowledged (for byte bounds on buffers). */
export function recordBytes(record: ProduceRecord): number {
  let bytes = RECORD_OVERHEAD + (record.key?.length ?? 0) + (record.value?.length ?? 0)
  const headers = record.headers
  if (headers !== undefined) for (const name in headers) bytes += name.length + headers[name].length
  return bytes
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}
