import {
  type API,
  type Broker,
  type Callback,
  type Connection,
  ConnectionPool,
  FetchIsolationLevels,
  FindCoordinatorKeyTypes,
  type fetchV17,
  type joinGroupV9,
  kGetApi,
  kGetConnection,
  Consumer as LibraryConsumer,
  type syncGroupV5,
} from '@platformatic/kafka'
import type { IsolationLevel } from '../types.ts'
import { withOwnAbortedFilter } from './aborted-list.ts'
import { isCoordinatorOrNetworkError } from './errors.ts'
import { baseClientOptions, type KafkaConfig, librarySasl } from './options.ts'
import { watchConnections } from './security.ts'

export interface JoinRequest {
  groupId: string
  memberId: string
  /** Static membership (`group.instance.id`), or null. */
  groupInstanceId: string | null
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocols: { name: string; metadata: Buffer }[]
}

export interface CommitEntry {
  topic: string
  partition: number
  offset: number
}

export type FetchResponse = fetchV17.FetchResponse
export type FetchRequestTopic = fetchV17.FetchRequestTopic

/**
 * The library's consumer, used as a connection/metadata/fetch engine only: its own group membership never starts.
 * Group coordination (JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch) is driven from here
 * through the library's exported low-level API, so the driver controls the assignor and the revoke step.
 */
export class KafkaClient extends LibraryConsumer<Buffer, Buffer, Buffer, Buffer> {
  readonly #coordinators = new Map<string, Broker>()
  readonly #fetchPool: ConnectionPool
  readonly #config: KafkaConfig
  readonly #poolOptions: ConstructorParameters<typeof ConnectionPool>[1]

  constructor(
    config: KafkaConfig,
    role: string,
    groupId: string | undefined,
    isolationLevel: IsolationLevel = 'read_committed',
  ) {
    const base = baseClientOptions(config, role)
    // A JoinGroup is answered only when the rebalance completes, so requests may take the rebalance timeout.
    const requestTimeout = Math.max(config.requestTimeoutMs, config.rebalanceTimeoutMs + 5_000)
    super({
      ...base,
      requestTimeout,
      // Never used for a group when absent: the client only fetches (manual assignment).
      groupId: groupId ?? `${config.clientId}-manual`,
      autocommit: false,
      maxWaitTime: config.fetchMaxWaitMs,
      maxBytes: config.fetchMaxBytes,
      minBytes: 1,
      // read_committed: fetches end at the last stable offset; records of aborted transactions are dropped by our
      // filter (records.ts), not the library's (see aborted-list.ts).
      isolationLevel:
        isolationLevel === 'read_committed'
          ? FetchIsolationLevels.READ_COMMITTED
          : FetchIsolationLevels.READ_UNCOMMITTED,
    })
    this.#config = config
    this.#poolOptions = {
      connectTimeout: base.connectTimeout,
      requestTimeout: config.requestTimeoutMs + config.fetchMaxWaitMs,
      ...(config.tls ? { tls: config.tls } : {}),
      ...(config.sasl ? { sasl: librarySasl(config.sasl) } : {}),
    }
    // Fetches (long polls) get their own connections so they never delay heartbeats and commits.
    this.#fetchPool = new ConnectionPool(`${base.clientId}-fetch`, this.#poolOptions)
    watchConnections(config, this)
    watchConnections(config, this.#fetchPool, 'connect')
  }

  /**
   * The library's Fetch API hands each response to our read_committed filter untouched (see aborted-list.ts: the
   * library's own filter drops committed transactions of a producer that also aborted an empty one).
   */
  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(
    name: string,
    callback: Callback<API<RequestArguments, ResponseType>>,
  ): void {
    if (name !== 'Fetch') {
      super[kGetApi](name, callback)
      return
    }
    super[kGetApi]<RequestArguments, ResponseType>(name, (error, api) => {
      if (error || api === undefined) callback(error)
      else callback(null, withOwnAbortedFilter(api as never) as API<RequestArguments, ResponseType>)
    })
  }

  /** Closes the fetch connections and the client. */
  async shutdown(): Promise<void> {
    await this.#fetchPool.close()
    await this.close(true)
  }

  /** One fetch from `node` for the given partitions (library fetch: sessions, retries; read_committed filtering is ours). */
  fetchFrom(node: number, topics: FetchRequestTopic[]): Promise<FetchResponse> {
    return this.fetch({
      node,
      topics,
      connectionPool: this.#fetchPool,
      maxWaitTime: this.#config.fetchMaxWaitMs,
      maxBytes: this.#config.fetchMaxBytes,
    })
  }

  async #api<Args extends unknown[], Response>(name: string): Promise<API<Args, Response>> {
    return new Promise((resolve, reject) => {
      this[kGetApi]<Args, Response>(name, (error, api) => (error ? reject(error) : resolve(api!)))
    })
  }

  async #connection(broker: Broker, pool?: ConnectionPool): Promise<Connection> {
    if (pool) return pool.get(broker)
    return new Promise((resolve, reject) => {
      this[kGetConnection](broker, (error, connection) => (error ? reject(error) : resolve(connection!)))
    })
  }

  async #coordinator(groupId: string): Promise<Broker> {
    const known = this.#coordinators.get(groupId)
    if (known) return known
    const connection = await this.connections.getFirstAvailable(this.#bootstrapBrokers())
    const api = await this.#api<[number, string[]], { coordinators: { key: string; host: string; port: number }[] }>(
      'FindCoordinator',
    )
    const response = await api.async(connection, FindCoordinatorKeyTypes.GROUP, [groupId])
    const found = response.coordinators.find((c) => c.key === groupId) ?? response.coordinators[0]
    const broker = { host: found.host, port: found.port }
    this.#coordinators.set(groupId, broker)
    return broker
  }

  #bootstrapBrokers(): Broker[] {
    const discovered = this.currentMetadata ? [...this.currentMetadata.brokers.values()] : []
    return [...this.#config.brokers, ...discovered]
  }

  /** Calls a group API on the group's coordinator; a moved or unreachable coordinator is looked up again next time. */
  async #groupCall<Args extends unknown[], Response>(
    groupId: string,
    name: string,
    args: Args,
    pool?: ConnectionPool,
  ): Promise<Response> {
    try {
      const broker = await this.#coordinator(groupId)
      const connection = await this.#connection(broker, pool)
      const api = await this.#api<Args, Response>(name)
      return await api.async(connection, ...args)
    } catch (error) {
      if (isCoordinatorOrNetworkError(error)) this.#coordinators.delete(groupId)
      throw error
    }
  }

  sendJoinGroup(request: JoinRequest): Promise<joinGroupV9.JoinGroupResponse> {
    return this.#groupCall(request.groupId, 'JoinGroup', [
      request.groupId,
      request.sessionTimeoutMs,
      request.rebalanceTimeoutMs,
      request.memberId,
      request.groupInstanceId,
      'consumer',
      request.protocols,
      null,
    ])
  }

  sendSyncGroup(
    groupId: string,
    generationId: number,
    memberId: string,
    protocolName: string,
    assignments: syncGroupV5.SyncGroupRequestAssignment[],
  ): Promise<{ assignment: Buffer }> {
    return this.#groupCall(groupId, 'SyncGroup', [
      groupId,
      generationId,
      memberId,
      this.#config.groupInstanceId ?? null,
      'consumer',
      protocolName,
      assignments,
    ])
  }

  sendHeartbeat(groupId: string, generationId: number, memberId: string): Promise<unknown> {
    return this.#groupCall(groupId, 'Heartbeat', [
      groupId,
      generationId,
      memberId,
      this.#config.groupInstanceId ?? null,
    ])
  }

  /**
   * LeaveGroup on a connection of its own: a broker answers the requests of one connection in order, so behind a
   * JoinGroup waiting for the rebalance on the shared connection it would wait as long.
   */
  async sendLeaveGroup(groupId: string, memberId: string): Promise<unknown> {
    const pool = new ConnectionPool(`${this.clientId}-leave`, this.#poolOptions)
    watchConnections(this.#config, pool, 'connect')
    try {
      return await this.#groupCall(groupId, 'LeaveGroup', [groupId, [{ memberId, reason: 'member closed' }]], pool)
    } finally {
      await pool.close().catch(() => {})
    }
  }

  /** OffsetCommit; generation -1 and an empty member id commit outside a generation (manual consumers). */
  async commitOffsets(groupId: string, generationId: number, memberId: string, entries: CommitEntry[]): Promise<void> {
    const topics = offsetCommitTopics(entries)
    // The instance id only inside a generation: outside one (manual consumers) the broker would refuse it.
    const instanceId = generationId >= 0 ? (this.#config.groupInstanceId ?? null) : null
    await this.#groupCall(groupId, 'OffsetCommit', [groupId, generationId, memberId, instanceId, topics])
  }

  /** OffsetFetch: committed offsets, -1 where none. */
  async fetchOffsets(
    groupId: string,
    partitions: { topic: string; partition: number }[],
  ): Promise<Map<string, Map<number, number>>> {
    const byTopic = new Map<string, number[]>()
    for (const { topic, partition } of partitions) {
      let list = byTopic.get(topic)
      if (!list) byTopic.set(topic, (list = []))
      list.push(partition)
    }
    const request = [
      {
        groupId,
        memberId: null,
        memberEpoch: -1,
        topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
      },
    ]
    type Topics = { name: string; partitions: { partitionIndex: number; committedOffset: bigint }[] }[]
    const response = await this.#groupCall<unknown[], { topics?: Topics; groups?: { topics: Topics }[] }>(
      groupId,
      'OffsetFetch',
      // requireStable: offsets of a transaction still being committed are awaited, not read stale (KIP-447).
      [request, true],
    )
    const topics = response.groups?.[0]?.topics ?? response.topics ?? []
    const result = new Map<string, Map<number, number>>()
    for (const topic of topics) {
      const map = new Map<number, number>()
      for (const p of topic.partitions) map.set(p.partitionIndex, Number(p.committedOffset))
      result.set(topic.name, map)
    }
    return result
  }
}

/** Offsets to commit, grouped by topic as OffsetCommit and TxnOffsetCommit requests carry them. */
export function offsetCommitTopics(entries: readonly CommitEntry[]): { name: string; partitions: unknown[] }[] {
  const topics = new Map<string, { name: string; partitions: unknown[] }>()
  for (const { topic, partition, offset } of entries) {
    let entry = topics.get(topic)
    if (!entry) topics.set(topic, (entry = { name: topic, partitions: [] }))
    entry.partitions.push({
      partitionIndex: partition,
      committedOffset: BigInt(offset),
      committedLeaderEpoch: -1,
      committedMetadata: null,
    })
  }
  return [...topics.values()]
}
