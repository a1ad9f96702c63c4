/**
 * An in-process broker: topics of append-only partition logs, and consumer groups with their committed offsets.
 * Several `MemoryTransport`s share one broker (see `registry.ts`), which is how several apps in one process act as
 * several workers of one cluster.
 */
import { TransportError } from '../../errors.ts'
import type { PartitionOffsets, TopicDescription, TopicPartition, TopicSpec } from '../types.ts'
import { MemoryGroup } from './group.ts'
import { PartitionLog } from './log.ts'
import { TransactionCoordinator } from './transactions.ts'

export interface MemoryBrokerOptions {
  /**
   * Partitions of a topic created implicitly by a produce. Default 1, as Kafka's `num.partitions`. Topics the app
   * declares are created by `ensureTopics` with their own counts; this only covers ad-hoc sends.
   */
  defaultPartitions?: number
  /**
   * Create a topic on first produce, as Kafka's `auto.create.topics.enable` (default true there and here), so sends to
   * undeclared topics (replies, CLI `send`) just work. When false, such a send fails with FST_TOPIC_UNKNOWN.
   */
  autoCreateTopics?: boolean
  /**
   * Memory is finite: records of a partition beyond this many (newest kept), or older than the topic's
   * `retention.ms`, are dropped, as Kafka's retention does, but only once every group following the topic has
   * committed past them, so no consumer loses records it has not processed. Compacted topics (`cleanup.policy`
   * with `compact`: changelogs) keep everything. Default 1,048,576 per partition.
   */
  retentionRecords?: number
}

const DEFAULT_RETENTION_RECORDS = 1 << 20

export interface MemoryTopic {
  readonly name: string
  readonly partitions: readonly PartitionLog[]
  readonly replicas: number
  /** Stored as given; retention as described above, `max.message.bytes` as below. */
  readonly config: Readonly<Record<string, string>>
  /** From `max.message.bytes`: a bigger record is refused with FST_OUTPUT_REFUSED, as Kafka's MESSAGE_TOO_LARGE. */
  readonly maxMessageBytes?: number
}

/** Produces to a topic held by `holdProduce`: they wait until it is released or failed. */
export interface ProduceHold {
  /** Sends held so far. */
  readonly held: number
  /** Lets the held sends (and later ones) through. */
  release(): void
  /** Fails the held sends (and later ones) with `error`. */
  fail(error: Error): void
}

export class MemoryBroker {
  readonly #topics = new Map<string, MemoryTopic>()
  readonly #holds = new Map<string, { hold: ProduceHold; gate: Promise<void> }>()
  readonly transactions = new TransactionCoordinator()
  readonly #groups = new Map<string, MemoryGroup>()
  readonly #defaultPartitions: number
  readonly #autoCreate: boolean
  readonly #retentionRecords: number

  constructor(options: MemoryBrokerOptions = {}) {
    this.#defaultPartitions = checkPartitions('(default)', options.defaultPartitions ?? 1)
    this.#autoCreate = options.autoCreateTopics ?? true
    this.#retentionRecords = options.retentionRecords ?? DEFAULT_RETENTION_RECORDS
  }

  topic(name: string): MemoryTopic | undefined {
    return this.#topics.get(name)
  }

  ensureTopics(specs: readonly TopicSpec[]): void {
    for (const spec of specs) {
      const existing = this.#topics.get(spec.name)
      if (existing && existing.partitions.length !== spec.partitions) {
        throw new TransportError(
          'FST_TOPIC_PARTITIONS_MISMATCH',
          `topic "${spec.name}" exists with ${existing.partitions.length} partitions, declared with ${spec.partitions}`,
          { details: { topic: spec.name, existing: existing.partitions.length, declared: spec.partitions } },
        )
      }
      checkPartitions(spec.name, spec.partitions)
    }
    const created = specs.filter((spec) => !this.#topics.has(spec.name))
    for (const spec of created) this.#create(spec)
    this.#topicsChanged(created.map((spec) => spec.name))
  }

  /** The topic a produce goes to, created with the default partition count if allowed. */
  topicForProduce(name: string): MemoryTopic {
    const existing = this.#topics.get(name)
    if (existing) return existing
    if (!this.#autoCreate) {
      throw new TransportError('FST_TOPIC_UNKNOWN', `topic "${name}" does not exist`, { details: { topic: name } })
    }
    const topic = this.#create({ name, partitions: this.#defaultPartitions })
    this.#topicsChanged([name])
    return topic
  }

  /**
   * Holds every produce to `topic` until released or failed, as a partition leader that stopped answering (or
   * answers with an error) does: for tests of what waits on outputs.
   */
  holdProduce(topic: string): ProduceHold {
    let release!: () => void
    let fail!: (error: Error) => void
    const gate = new Promise<void>((resolve, reject) => {
      release = resolve
      fail = reject
    })
    gate.catch(() => {})
    const entry = {
      gate,
      hold: {
        held: 0,
        release: () => {
          this.#holds.delete(topic)
          release()
        },
        fail: (error: Error) => fail(error),
      },
    }
    this.#holds.set(topic, entry)
    return entry.hold
  }

  /** What a send touching these topics must wait for, if any topic is held. */
  produceGate(records: readonly { topic: string }[]): Promise<void> | undefined {
    if (this.#holds.size === 0) return undefined
    for (const record of records) {
      const entry = this.#holds.get(record.topic)
      if (entry === undefined) continue
      ;(entry.hold as { held: number }).held++
      return entry.gate
    }
    return undefined
  }

  describeTopics(names: readonly string[]): Map<string, TopicDescription> {
    const out = new Map<string, TopicDescription>()
    for (const name of names) {
      const topic = this.#topics.get(name)
      if (topic) out.set(name, { name, partitions: topic.partitions.length })
    }
    return out
  }

  deleteTopics(names: readonly string[]): void {
    const deleted = names.filter((name) => this.#topics.delete(name))
    this.#topicsChanged(deleted)
  }

  /** The log of a partition; FST_TOPIC_UNKNOWN when the topic or partition does not exist. */
  log(tp: TopicPartition): PartitionLog {
    const log = this.#topics.get(tp.topic)?.partitions[tp.partition]
    if (!log) {
      throw new TransportError('FST_TOPIC_UNKNOWN', `partition ${tp.partition} of topic "${tp.topic}" does not exist`, {
        details: { topic: tp.topic, partition: tp.partition },
      })
    }
    return log
  }

  /** `latest` is the last stable offset (what `read_committed` readers reach) unless `readCommitted` is false. */
  listOffsets(partitions: readonly TopicPartition[], readCommitted = true): PartitionOffsets[] {
    return partitions.map(({ topic, partition }) => {
      const log = this.log({ topic, partition })
      return { topic, partition, earliest: log.earliest, latest: readCommitted ? log.stableEnd : log.latest }
    })
  }

  /** The consumer group of that id, created on first use (as Kafka does on first join or commit). */
  group(groupId: string): MemoryGroup {
    let group = this.#groups.get(groupId)
    if (!group) {
      group = new MemoryGroup(groupId, this)
      this.#groups.set(groupId, group)
    }
    return group
  }

  #create(spec: TopicSpec): MemoryTopic {
    const config = { ...spec.config }
    const compacted = (config['cleanup.policy'] ?? 'delete').includes('compact')
    const retentionMs = Number(config['retention.ms'] ?? Number.NaN)
    const retain = (partition: number) => (log: PartitionLog) =>
      this.#retain(spec.name, partition, log, Number.isFinite(retentionMs) && retentionMs >= 0 ? retentionMs : null)
    const topic: MemoryTopic = {
      name: spec.name,
      partitions: Array.from(
        { length: spec.partitions },
        (_, p) => new PartitionLog(compacted ? undefined : retain(p)),
      ),
      replicas: 1, // one in-process "broker": any replication factor clamps to 1
      config,
      maxMessageBytes: config['max.message.bytes'] === undefined ? undefined : Number(config['max.message.bytes']),
    }
    this.#topics.set(spec.name, topic)
    return topic
  }

  /** Runs when a segment fills: drops what retention allows and every following group has committed. */
  #retain(topic: string, partition: number, log: PartitionLog, retentionMs: number | null): void {
    let hold = Number.POSITIVE_INFINITY
    for (const group of this.#groups.values()) {
      const committed = group.committed({ topic, partition })
      if (committed !== undefined) hold = Math.min(hold, committed)
      else if (group.subscribes(topic)) return
    }
    const byCount = log.latest - this.#retentionRecords
    const cutoff = retentionMs === null ? Number.NEGATIVE_INFINITY : Date.now() - retentionMs
    log.dropSegmentsWhile((end, lastTimestamp) => end <= hold && (end <= byCount || lastTimestamp < cutoff))
  }

  /** Groups subscribed to a created or deleted topic rebalance, as Kafka's metadata refresh makes them. */
  #topicsChanged(names: readonly string[]): void {
    if (names.length === 0) return
    for (const group of this.#groups.values()) {
      if (names.some((name) => group.subscribes(name))) void group.requestRebalance()
    }
  }
}

function checkPartitions(topic: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new TransportError(
      'FST_TRANSPORT',
      `topic "${topic}": partitions must be a positive integer, got ${partitions}`,
      {
        details: { topic, partitions },
      },
    )
  }
  return partitions
}
