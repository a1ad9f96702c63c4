/**
 * The Kafka consumer: a group member (our assignor, eager rebalances) or a manually assigned reader, with the
 * fetcher handing batches to the handler one at a time.
 *
 * Rebalance: heartbeats notice it; fetching stops after the batch in flight, `onRevoked` gets every assigned
 * partition (the app flushes and commits), the member rejoins, and after SyncGroup the read positions are set from
 * committed offsets (else `autoOffsetReset`) before `onAssigned`, so a seek there wins; then fetching resumes.
 *
 * As on the memory transport, a handler that throws is a bug of the layer above: the consumer stops, leaves its group
 * without revoking (uncommitted records are read again by the next owner) and the error is rejected from `start()`
 * when still pending, else given to `onError` (default: raised as an unhandled rejection).
 */
import { ListOffsetTimestamps } from '@platformatic/kafka'
import { TransportError } from '../../errors.ts'
import { CopartitionedAssignor } from '../assignor.ts'
import type {
  Assignment,
  ConsumedRecord,
  Consumer,
  ConsumerHandler,
  ConsumerOptions,
  GroupMetadata,
  TopicPartition,
  TopicPartitionOffset,
} from '../types.ts'
import { tpKey } from '../types.ts'
import { KafkaClient } from './client.ts'
import { describeError, hasKafkaError, toTransportError, withRetries } from './errors.ts'
import { classify } from './faults.ts'
import { Fetcher } from './fetcher.ts'
import { GroupMembership, type Joined } from './membership.ts'
import type { KafkaConfig } from './options.ts'

const DEFAULT_MAX_BATCH = 1000

/** Nobody awaits a running consumer, so by default a crash is made loud. */
const raiseUnhandled = (error: unknown): void => {
  void Promise.reject(error)
}

export class KafkaConsumer implements Consumer {
  readonly #config: KafkaConfig
  readonly #client: KafkaClient
  readonly #handler: ConsumerHandler
  readonly #groupId: string | undefined
  readonly #reset: 'earliest' | 'latest'
  readonly #fetcher: Fetcher
  readonly #membership: GroupMembership | undefined
  #assignment: Assignment = { actives: [], standbys: [] }
  #started = false
  #stopped = false
  #starting = false
  #failure: unknown = null
  readonly #onError: (error: unknown) => void
  /** Aborted when the consumer shuts down: retries in progress give up. */
  readonly #abort = new AbortController()

  constructor(config: KafkaConfig, options: ConsumerOptions, onError: (error: unknown) => void = raiseUnhandled) {
    this.#config = config
    this.#onError = onError
    this.#handler = options.handler
    this.#groupId = options.groupId
    this.#reset = options.autoOffsetReset ?? 'earliest'
    this.#client = new KafkaClient(config, 'consumer', options.groupId, options.isolationLevel)
    const handler = options.handler
    this.#fetcher = new Fetcher(this.#client, config, {
      deliver: (records) => this.#deliver(records),
      fail: (error) => this.#fail(error),
      maxBatchSize: Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH),
      onPosition: handler.onPosition === undefined ? undefined : (position) => handler.onPosition?.(position),
    })
    if (options.groupId !== undefined) {
      this.#membership = new GroupMembership(
        this.#client,
        config,
        {
          groupId: options.groupId,
          topics: [...new Set(options.topics ?? [])],
          // One assignor per member: it remembers this member's assignment for stickiness.
          assignor: options.assignor ?? new CopartitionedAssignor(),
        },
        { onJoined: (joined) => this.#onJoined(joined), onRebalance: () => this.#revoke() },
      )
      this.#membership.onFailure = (error) => this.#fail(error)
    }
  }

  async start(): Promise<void> {
    if (this.#started || this.#stopped) return
    this.#started = true
    if (!this.#membership) {
      this.#fetcher.start()
      return
    }
    this.#starting = true
    try {
      await this.#membership.start()
    } catch (error) {
      await this.#shutdown()
      throw error
    } finally {
      this.#starting = false
    }
    if (this.#failure !== null) throw this.#failure
  }

  async assign(partitions: TopicPartitionOffset[]): Promise<void> {
    if (this.#groupId !== undefined) {
      throw new TransportError('FST_TRANSPORT', `consumer of group "${this.#groupId}" cannot be assigned manually`)
    }
    // No stop: replaced partitions drop their fetched data, kept ones are re-positioned (seek bumps their epoch).
    this.#fetcher.setPartitions(partitions)
    for (const p of partitions) this.#fetcher.seek(p, p.offset)
    this.#assignment = { actives: partitions.map(({ topic, partition }) => ({ topic, partition })), standbys: [] }
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    const groupId = this.#requireGroup('commit')
    if (offsets.length === 0) return
    this.#requireOpen(`commit offsets of group ${groupId}`)
    const generation = this.#membership?.generationId ?? -1
    const memberId = this.#membership?.memberId ?? ''
    try {
      await withRetries(
        this.#config,
        `committing offsets of group ${groupId}`,
        () => this.#client.commitOffsets(groupId, generation, memberId, offsets),
        { signal: this.#abort.signal },
      )
    } catch (error) {
      if (hasKafkaError(error, 'ILLEGAL_GENERATION') || hasKafkaError(error, 'UNKNOWN_MEMBER_ID')) {
        this.#membership?.requestRejoin('a commit was refused for this generation', generation)
      }
      throw toTransportError(this.#config, `committing offsets of group ${groupId}`, error)
    }
  }

  async committed(partitions: TopicPartition[]): Promise<Map<string, number>> {
    const groupId = this.#requireGroup('read committed offsets')
    const out = new Map<string, number>()
    if (partitions.length === 0) return out
    this.#requireOpen(`read committed offsets of group ${groupId}`)
    const found = await withRetries(
      this.#config,
      `reading committed offsets of group ${groupId}`,
      () => this.#client.fetchOffsets(groupId, partitions),
      { signal: this.#abort.signal },
    )
    for (const tp of partitions) {
      const offset = found.get(tp.topic)?.get(tp.partition)
      if (offset !== undefined && offset >= 0) out.set(tpKey(tp), offset)
    }
    return out
  }

  pause(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.#fetcher.pause(tp)
  }

  resume(partitions: TopicPartition[]): void {
    for (const tp of partitions) this.#fetcher.resume(tp)
  }

  seek(position: TopicPartitionOffset): void {
    if (!this.#fetcher.has(position)) {
      throw new TransportError(
        'FST_TRANSPORT',
        `cannot seek ${position.topic}/${position.partition}: partition not assigned`,
        { details: { topic: position.topic, partition: position.partition, offset: position.offset } },
      )
    }
    this.#fetcher.seek(position, position.offset)
  }

  assignment(): Assignment {
    return this.#assignment
  }

  groupMetadata(): GroupMetadata | undefined {
    const membership = this.#membership
    if (this.#groupId === undefined || membership === undefined || membership.generationId < 0) return undefined
    return { groupId: this.#groupId, generationId: membership.generationId, memberId: membership.memberId }
  }

  async close(): Promise<void> {
    if (this.#stopped) return
    if (this.#membership && this.#started && this.#failure === null) {
      this.#membership.freeze()
      await this.#revoke()
    }
    await this.#shutdown()
  }

  async #shutdown(): Promise<void> {
    this.#stopped = true
    this.#abort.abort()
    await this.#fetcher.stop()
    await this.#membership?.leave()
    await this.#client.shutdown().catch(() => {})
  }

  /** Stops fetching after the batch in flight, then revokes everything assigned. */
  async #revoke(): Promise<void> {
    await this.#fetcher.stop()
    const partitions = [...this.#assignment.actives, ...this.#assignment.standbys]
    this.#assignment = { actives: [], standbys: [] }
    this.#fetcher.setPartitions([])
    if (partitions.length > 0 && this.#failure === null) {
      try {
        await this.#handler.onRevoked(partitions)
      } catch (error) {
        this.#crash(error)
      }
    }
  }

  async #onJoined(joined: Joined): Promise<void> {
    if (this.#stopped) return
    this.#fetcher.setPartitions(joined.partitions)
    await this.#setStartPositions(joined.partitions)
    this.#assignment = joined.assignment
    try {
      await this.#handler.onAssigned(this.#assignment)
    } catch (error) {
      this.#crash(error)
      return
    }
    if (!this.#stopped) this.#fetcher.start()
  }

  /** Committed offset when it lies within the log, else the reset position (as the memory transport does). */
  async #setStartPositions(partitions: TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return
    const committed = await this.committed(partitions)
    const [earliest, latest] = await Promise.all([
      this.#listOffsets(partitions, ListOffsetTimestamps.EARLIEST),
      this.#listOffsets(partitions, ListOffsetTimestamps.LATEST),
    ])
    for (const tp of partitions) {
      const key = tpKey(tp)
      const low = earliest.get(key) ?? 0
      const high = latest.get(key) ?? 0
      const offset = committed.get(key)
      const start =
        offset !== undefined && offset >= low && offset <= high ? offset : this.#reset === 'earliest' ? low : high
      if (offset !== undefined && start !== offset) {
        // Below the log start, retention deleted records the group never read: say so, it is data lost.
        this.#config.logger.warn(
          `committed offset ${offset} of ${tp.topic}[${tp.partition}] is outside its log (${low} to ${high}): starting at ${start} (autoOffsetReset ${this.#reset})`,
        )
      }
      this.#fetcher.seek(tp, start)
    }
  }

  async #listOffsets(partitions: TopicPartition[], timestamp: bigint): Promise<Map<string, number>> {
    const byTopic: Record<string, number[]> = {}
    for (const { topic, partition } of partitions) (byTopic[topic] ??= []).push(partition)
    const offsets = await withRetries(
      this.#config,
      'listing offsets',
      () => this.#client.listOffsets({ topics: Object.keys(byTopic), partitions: byTopic, timestamp }),
      { signal: this.#abort.signal },
    )
    const out = new Map<string, number>()
    for (const [topic, list] of offsets) {
      list.forEach((offset, partition) => {
        if (offset !== undefined) out.set(tpKey({ topic, partition }), Number(offset))
      })
    }
    return out
  }

  async #deliver(records: ConsumedRecord[]): Promise<void> {
    if (this.#failure !== null) return
    try {
      await this.#handler.onRecords(records)
    } catch (error) {
      this.#crash(error)
      throw error
    }
  }

  /** A handler failed: stop, leave without revoking (as a crashed worker), and make the error loud. */
  #crash(error: unknown): void {
    this.#fail(
      new TransportError('FST_TRANSPORT', `consumer handler failed: ${describeError(error)}`, {
        cause: error,
        details: { groupId: this.#groupId, error: classify(error).id },
      }),
    )
  }

  /** The consumer cannot go on (a handler failed, or a fault retrying cannot fix): stop and report `failure`. */
  #fail(failure: unknown): void {
    if (this.#failure !== null || this.#stopped) return
    this.#failure = failure
    this.#stopped = true
    // The crash is reported below; leaving the group on a broken connection may fail too, and must not surface as
    // an unhandled rejection (Node would exit) on top of it.
    this.#shutdown().catch(() => {})
    if (!this.#starting) this.#onError(failure) // else start() rethrows it
  }

  /** Nothing is asked of a closed client: it would only fail, possibly after retries. */
  #requireOpen(action: string): void {
    if (this.#stopped) {
      throw new TransportError('FST_TRANSPORT_CLOSED', `cannot ${action}: the consumer is closed`, {
        details: { groupId: this.#groupId },
      })
    }
  }

  #requireGroup(action: string): string {
    if (this.#groupId === undefined) throw new TransportError('FST_TRANSPORT', `cannot ${action} without a groupId`)
    return this.#groupId
  }
}
