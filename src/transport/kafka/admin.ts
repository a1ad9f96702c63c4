import { Admin, FetchIsolationLevels, ListOffsetTimestamps } from '@platformatic/kafka'
import { TransportError } from '../../errors.ts'
import type { IsolationLevel, PartitionOffsets, TopicDescription, TopicPartition, TopicSpec } from '../types.ts'
import { hasKafkaError, partitionCount, sleep, toTransportError, withRetries } from './errors.ts'
import { classify } from './faults.ts'
import { baseClientOptions, type KafkaConfig } from './options.ts'
import { watchConnections } from './security.ts'

/** Topic administration and offsets lookups, on the library's admin client. */
export class KafkaAdmin {
  readonly #config: KafkaConfig
  readonly #client: Admin

  constructor(config: KafkaConfig) {
    this.#config = config
    this.#client = new Admin(baseClientOptions(config, 'admin', 0))
    watchConnections(config, this.#client)
  }

  /**
   * Reaches a broker, retrying with a warning per attempt until the connect deadline; a configuration error
   * (unknown host, authentication) fails at once. From then on, the transport's clients retry faults without a
   * deadline.
   */
  async connect(): Promise<void> {
    await withRetries(
      this.#config,
      `connecting to ${this.#config.address}`,
      () => this.#client.metadata({ topics: [], forceUpdate: true }),
      { deadlineMs: this.#config.connectTimeoutMs },
    )
    this.#config.faults.connected = true
  }

  async close(): Promise<void> {
    await this.#client.close().catch(() => {})
  }

  async describeTopics(names: string[]): Promise<Map<string, TopicDescription>> {
    const out = new Map<string, TopicDescription>()
    const counts = await this.#partitionCounts(names)
    for (const [name, partitions] of counts) out.set(name, { name, partitions })
    return out
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    if (specs.length === 0) return
    const existing = await this.#partitionCounts(specs.map((s) => s.name))
    for (const spec of specs) checkPartitions(spec, existing.get(spec.name))
    const missing = specs.filter((s) => !existing.has(s.name))
    if (missing.length === 0) return
    const brokers = await this.#brokerCount()
    for (const spec of missing) await this.#create(spec, brokers)
    await this.#waitForLeaders(missing.map((s) => s.name))
  }

  /** Deletes the group (its committed offsets); the broker refuses while it has members (NON_EMPTY_GROUP). */
  async resetGroup(groupId: string): Promise<string[]> {
    const listed = await withRetries(this.#config, `reading offsets of group ${groupId}`, () =>
      this.#client.listConsumerGroupOffsets({ groups: [groupId] }),
    )
    const topics = (listed[0]?.topics ?? [])
      .filter((t) => t.partitions.some((p) => p.committedOffset >= 0n))
      .map((t) => t.name)
      .sort()
    try {
      await withRetries(this.#config, `deleting group ${groupId}`, () =>
        this.#client.deleteGroups({ groups: [groupId] }),
      )
    } catch (error) {
      if (hasKafkaError(error, 'NON_EMPTY_GROUP')) {
        throw new TransportError(
          'FST_GROUP_ACTIVE',
          `consumer group "${groupId}" has running members: stop them first`,
          {
            cause: error,
            details: { groupId },
          },
        )
      }
      if (!hasKafkaError(error, 'GROUP_ID_NOT_FOUND'))
        throw toTransportError(this.#config, `deleting group ${groupId}`, error)
    }
    return topics
  }

  async deleteTopics(names: string[]): Promise<void> {
    const existing = await this.#partitionCounts(names)
    if (existing.size === 0) return
    const topics = [...existing.keys()]
    try {
      await withRetries(this.#config, 'deleting topics', () => this.#client.deleteTopics({ topics }))
    } catch (error) {
      if (!hasKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) throw error
    }
    this.#client.clearMetadata()
  }

  /** `latest` is the last stable offset (what a `read_committed` reader reaches) unless `read_uncommitted`. */
  async listOffsets(
    partitions: TopicPartition[],
    isolationLevel: IsolationLevel = 'read_committed',
  ): Promise<PartitionOffsets[]> {
    if (partitions.length === 0) return []
    const level =
      isolationLevel === 'read_committed' ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED
    const [earliest, latest] = await Promise.all([
      this.#offsets(partitions, ListOffsetTimestamps.EARLIEST, level),
      this.#offsets(partitions, ListOffsetTimestamps.LATEST, level),
    ])
    return partitions.map((tp) => {
      const key = `${tp.topic}\u0000${tp.partition}`
      return { topic: tp.topic, partition: tp.partition, earliest: earliest.get(key)!, latest: latest.get(key)! }
    })
  }

  async #offsets(partitions: TopicPartition[], timestamp: bigint, isolationLevel: 0 | 1): Promise<Map<string, number>> {
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of partitions) {
      let list = byTopic.get(topic)
      if (!list) byTopic.set(topic, (list = []))
      if (!list.includes(partition)) list.push(partition)
    }
    const request = [...byTopic].map(([name, list]) => ({
      name,
      partitions: list.map((partitionIndex) => ({ partitionIndex, timestamp })),
    }))
    const topics = await withRetries(this.#config, 'listing offsets', () =>
      this.#client.listOffsets({ topics: request, isolationLevel }),
    ).catch((error) => {
      throw toTransportError(this.#config, 'listing offsets', error)
    })
    const out = new Map<string, number>()
    for (const topic of topics) {
      for (const p of topic.partitions) out.set(`${topic.name}\u0000${p.partitionIndex}`, Number(p.offset))
    }
    for (const tp of partitions) {
      if (!out.has(`${tp.topic}\u0000${tp.partition}`)) {
        throw new TransportError('FST_TOPIC_UNKNOWN', `no offsets for ${tp.topic}/${tp.partition}`, {
          details: { topic: tp.topic, partition: tp.partition },
        })
      }
    }
    return out
  }

  /** Partition counts of the topics that exist; absent ones are left out. */
  async #partitionCounts(names: string[]): Promise<Map<string, number>> {
    const unique = [...new Set(names)]
    const out = new Map<string, number>()
    if (unique.length === 0) return out
    const results = await Promise.all(
      unique.map((topic) => partitionCount(this.#config, this.#client, topic, { fresh: true })),
    )
    unique.forEach((topic, i) => {
      const count = results[i]
      if (count !== undefined && count > 0) out.set(topic, count)
    })
    return out
  }

  async #brokerCount(): Promise<number> {
    const metadata = await withRetries(this.#config, 'reading cluster metadata', () =>
      this.#client.metadata({ topics: [] }),
    )
    return Math.max(1, metadata.brokers.size)
  }

  async #create(spec: TopicSpec, brokers: number): Promise<void> {
    const configs = Object.entries(spec.config ?? {}).map(([name, value]) => ({ name, value }))
    const replicas = spec.replicas === undefined ? -1 : Math.max(1, Math.min(spec.replicas, brokers))
    try {
      await withRetries(this.#config, `creating topic ${spec.name}`, () =>
        this.#client.createTopics({ topics: [spec.name], partitions: spec.partitions, replicas, configs }),
      )
    } catch (error) {
      if (!hasKafkaError(error, 'TOPIC_ALREADY_EXISTS')) throw toTransportError(this.#config, 'creating topics', error)
      // Created meanwhile by another worker: it must still agree on the partition count.
      const counts = await this.#partitionCounts([spec.name])
      checkPartitions(spec, counts.get(spec.name))
    }
  }

  /** Topic creation is asynchronous in Kafka: wait until every partition has a leader. */
  async #waitForLeaders(names: string[]): Promise<void> {
    const deadline = Date.now() + this.#config.connectTimeoutMs
    for (;;) {
      try {
        const metadata = await this.#client.metadata({ topics: names, forceUpdate: true })
        const ready = names.every((name) => {
          const topic = metadata.topics.get(name)
          return topic?.partitions.every((p) => p !== undefined && p.leader >= 0) ?? false
        })
        if (ready) return
      } catch (error) {
        // A just-created topic may still be unknown to the broker answering: only configuration errors stop here.
        const { kind } = classify(error)
        if (
          kind === 'auth' ||
          kind === 'authorization' ||
          kind === 'host' ||
          kind === 'closed' ||
          Date.now() > deadline
        ) {
          throw toTransportError(this.#config, 'creating topics', error)
        }
      }
      if (Date.now() > deadline) {
        throw new TransportError('FST_TRANSPORT', `topics ${names.join(', ')} have no leaders after creation`, {
          details: { topics: names },
        })
      }
      await sleep(50)
    }
  }
}

function checkPartitions(spec: TopicSpec, existing: number | undefined): void {
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new TransportError('FST_TRANSPORT', `topic "${spec.name}" declared with ${spec.partitions} partitions`, {
      details: { topic: spec.name, declared: spec.partitions },
    })
  }
  if (existing !== undefined && existing !== spec.partitions) {
    throw new TransportError(
      'FST_TOPIC_PARTITIONS_MISMATCH',
      `topic "${spec.name}" exists with ${existing} partitions, declared with ${spec.partitions}`,
      { details: { topic: spec.name, existing, declared: spec.partitions } },
    )
  }
}
