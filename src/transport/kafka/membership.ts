import { findErrorBy } from '@platformatic/kafka'
import { TransportError } from '../../errors.ts'
import type { Assignment, Assignor, GroupMember, TopicPartition } from '../types.ts'
import type { KafkaClient } from './client.ts'
import {
  brokerUnavailable,
  describeError,
  hasKafkaError,
  noteRetry,
  partitionCount,
  retryDeadline,
  sleep,
  toTransportError,
} from './errors.ts'
import { classify } from './faults.ts'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from './group-protocol.ts'
import { backoffMs, type KafkaConfig } from './options.ts'

export interface Joined {
  generationId: number
  memberId: string
  leader: boolean
  /** The Kafka-level partitions received (actives and standbys). */
  partitions: TopicPartition[]
  assignment: Assignment
}

export interface MembershipHooks {
  /** After each successful join + sync. Heartbeats run while it does. */
  onJoined(joined: Joined): Promise<void>
  /** Before rejoining: stop reading and revoke. Heartbeats run while it does. */
  onRebalance(reason: string): Promise<void>
}

export interface MembershipOptions {
  groupId: string
  topics: string[]
  assignor: Assignor
}

/**
 * One member of a classic consumer group, driven step by step: JoinGroup with our assignor's protocol, the leader
 * runs `assignor.assign` over every member's user data (also when it is the only member), SyncGroup carries each
 * member its own assignment user data, then heartbeats until the coordinator asks for a rebalance.
 */
export class GroupMembership {
  readonly #client: KafkaClient
  readonly #config: KafkaConfig
  readonly #options: MembershipOptions
  readonly #hooks: MembershipHooks
  #memberId = ''
  #generationId = -1
  #closing = false
  #loop: Promise<void> | undefined
  #heartbeatTimer: NodeJS.Timeout | undefined
  /** Identifies the current heartbeat chain; an older chain stops at its next tick. */
  #heartbeatChain: object | undefined
  #lastHeartbeat = 0
  #rejoin: ((reason: string) => void) | undefined
  /** Aborted by leave(): cuts short retry backoffs. */
  readonly #abort = new AbortController()

  /** Called when membership fails for good after the first join (the consumer stops and reports it). */
  onFailure: (error: unknown) => void = () => {}

  #fail(error: unknown): void {
    this.#stopHeartbeats()
    this.onFailure(error)
  }

  constructor(client: KafkaClient, config: KafkaConfig, options: MembershipOptions, hooks: MembershipHooks) {
    this.#client = client
    this.#config = config
    this.#options = options
    this.#hooks = hooks
  }

  get memberId(): string {
    return this.#memberId
  }

  get generationId(): number {
    return this.#generationId
  }

  /** Joins; resolves after the first assignment was handled, rejects if the first join fails. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#loop = this.#run(resolve, reject)
    })
  }

  /** Asks for a rebalance when `generation` is still the current one (a commit of it was refused). */
  requestRejoin(reason: string, generation: number): void {
    if (generation === this.#generationId) this.#rejoin?.(reason)
  }

  /** No rejoin from now on (the consumer is closing and revokes next); heartbeats go on until `leave()`. */
  freeze(): void {
    this.#closing = true
  }

  /** Stops heartbeating and leaves the group. The caller revokes first. */
  async leave(): Promise<void> {
    this.#closing = true
    this.#abort.abort()
    this.#stopHeartbeats()
    this.#rejoin?.('closing')
    // A static member does not leave (as Kafka's clients): back within the session timeout, it takes its
    // partitions again without a rebalance.
    if (this.#memberId !== '' && this.#config.groupInstanceId === undefined) {
      try {
        await this.#client.sendLeaveGroup(this.#options.groupId, this.#memberId)
      } catch (error) {
        this.#config.logger.debug(`leaving group ${this.#options.groupId} failed: ${describeError(error)}`)
      }
    }
    await this.#loop?.catch(() => {})
    this.#memberId = ''
    this.#generationId = -1
  }

  async #run(started: () => void, failed: (error: unknown) => void): Promise<void> {
    let first = true
    while (!this.#closing) {
      let joined: Joined
      try {
        joined = await this.#joinAndSync()
      } catch (error) {
        if (this.#closing) break
        if (first) {
          failed(error)
          return
        }
        const fault = classify(error)
        if (fault.kind !== 'retriable' && fault.kind !== 'rejoin') {
          // Retrying cannot fix it (authorization, a protocol clash): the consumer cannot go on.
          this.#fail(toTransportError(this.#config, `rejoining group ${this.#options.groupId}`, error))
          return
        }
        noteRetry(this.#config, `rejoining group ${this.#options.groupId}`, 1, 1_000, error)
        await sleep(1_000, this.#abort.signal)
        continue
      }
      if (this.#closing) break
      const rejoinNeeded = new Promise<string>((resolve) => {
        this.#rejoin = resolve
      })
      this.#startHeartbeats()
      try {
        await this.#hooks.onJoined(joined)
      } catch (error) {
        if (first) {
          this.#stopHeartbeats()
          failed(error)
          return
        }
        this.#config.logger.warn(`handling the assignment failed, rejoining: ${describeError(error)}`)
        this.#rejoin?.('handling the assignment failed')
      }
      if (first) started()
      first = false
      const reason = await rejoinNeeded
      this.#rejoin = undefined
      if (this.#closing) break
      this.#config.logger.info(`group ${this.#options.groupId} rebalancing: ${reason}`)
      await this.#hooks.onRebalance(reason)
      this.#stopHeartbeats()
    }
    this.#stopHeartbeats()
    if (first)
      failed(new TransportError('FST_TRANSPORT', `consumer of group ${this.#options.groupId} closed while joining`))
  }

  async #joinAndSync(): Promise<Joined> {
    const { groupId, topics, assignor } = this.#options
    // Bounded only before the transport first connected: a running worker waits for the coordinator to return.
    const deadline = retryDeadline(this.#config)
    for (let attempt = 1; ; attempt++) {
      if (this.#closing) throw new TransportError('FST_TRANSPORT', `consumer of group ${groupId} closed while joining`)
      try {
        const metadata = encodeSubscription({
          version: assignor.version,
          topics,
          userData: assignor.subscriptionUserData(topics),
        })
        const join = await this.#client.sendJoinGroup({
          groupId,
          memberId: this.#memberId,
          groupInstanceId: this.#config.groupInstanceId ?? null,
          sessionTimeoutMs: this.#config.sessionTimeoutMs,
          rebalanceTimeoutMs: this.#config.rebalanceTimeoutMs,
          protocols: [{ name: assignor.name, metadata }],
        })
        this.#memberId = join.memberId
        this.#generationId = join.generationId
        const leader = join.leader === join.memberId
        // A static member replacing itself in a stable group is told to keep the current assignment (KIP-345).
        const assignments = leader && !join.skipAssignment ? await this.#assign(join.members) : []
        const sync = await this.#client.sendSyncGroup(
          groupId,
          join.generationId,
          join.memberId,
          join.protocolName ?? assignor.name,
          assignments,
        )
        const payload = decodeAssignment(sync.assignment)
        const assignment = assignor.decodeAssignment(payload.partitions, payload.userData)
        this.#lastHeartbeat = Date.now()
        this.#config.logger.info(`joined group ${groupId}`, {
          generation: join.generationId,
          memberId: join.memberId,
          leader,
          members: join.members.length,
          partitions: payload.partitions.length,
        })
        return {
          generationId: join.generationId,
          memberId: join.memberId,
          leader,
          partitions: payload.partitions,
          assignment,
        }
      } catch (error) {
        if (this.#closing) throw error
        const required = findErrorBy(error as Error, 'apiId', 'MEMBER_ID_REQUIRED') as { memberId?: string } | null
        if (required) {
          // Normal first-join handshake (KIP-394): the broker names our member id; join again with it.
          if (required.memberId) this.#memberId = required.memberId
          continue
        }
        if (hasKafkaError(error, 'UNKNOWN_MEMBER_ID')) {
          this.#memberId = ''
          continue
        }
        if (hasKafkaError(error, 'REBALANCE_IN_PROGRESS') || hasKafkaError(error, 'ILLEGAL_GENERATION')) continue
        if (hasKafkaError(error, 'INCONSISTENT_GROUP_PROTOCOL')) {
          throw new TransportError(
            'FST_TRANSPORT',
            `group ${groupId} runs another protocol than "${assignor.name}" (a member with a different assignor?)`,
            { cause: error, details: { groupId, protocol: assignor.name } },
          )
        }
        if (classify(error).kind !== 'retriable')
          throw toTransportError(this.#config, `joining group ${groupId}`, error)
        if (Date.now() >= deadline) throw brokerUnavailable(this.#config, `joining group ${groupId}`, error)
        const delay = backoffMs(attempt)
        noteRetry(this.#config, `joining group ${groupId}`, attempt, delay, error)
        await sleep(delay, this.#abort.signal)
      }
    }
  }

  /** Leader only: runs the assignor over all members and encodes one assignment per member. */
  async #assign(members: { memberId: string; metadata: Buffer }[]) {
    const { assignor } = this.#options
    const groupMembers: GroupMember[] = members.map((m) => {
      const subscription = decodeSubscription(m.metadata)
      return { memberId: m.memberId, topics: subscription.topics, userData: subscription.userData }
    })
    const topics = [...new Set(groupMembers.flatMap((m) => m.topics))]
    const partitionsPerTopic = await this.#partitionCounts(topics)
    const result = assignor.assign({ members: groupMembers, partitionsPerTopic })
    return groupMembers.map((m) => {
      const assigned = result.get(m.memberId)
      return {
        memberId: m.memberId,
        assignment: encodeAssignment({
          version: assignor.version,
          partitions: assigned?.partitions ?? [],
          userData: assigned?.userData ?? null,
        }),
      }
    })
  }

  /** Partition counts of the subscribed topics; missing topics are left out (as Faust does), with a warning. */
  async #partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>()
    const found = await Promise.all(
      topics.map((topic) => partitionCount(this.#config, this.#client, topic, { fresh: true })),
    )
    topics.forEach((topic, i) => {
      const count = found[i]
      if (count) counts.set(topic, count)
      else this.#config.logger.warn(`subscribed topic ${topic} does not exist; not assigned`)
    })
    return counts
  }

  #startHeartbeats(): void {
    this.#stopHeartbeats()
    this.#lastHeartbeat = Date.now()
    const chain = {}
    this.#heartbeatChain = chain
    const beat = async (): Promise<void> => {
      const { groupId } = this.#options
      try {
        await this.#client.sendHeartbeat(groupId, this.#generationId, this.#memberId)
        this.#lastHeartbeat = Date.now()
      } catch (error) {
        if (hasKafkaError(error, 'REBALANCE_IN_PROGRESS')) {
          this.#lastHeartbeat = Date.now()
          this.#rejoin?.('the coordinator started a rebalance')
        } else if (hasKafkaError(error, 'ILLEGAL_GENERATION')) {
          this.#rejoin?.('generation is over')
        } else if (hasKafkaError(error, 'UNKNOWN_MEMBER_ID')) {
          this.#memberId = ''
          this.#rejoin?.('the coordinator no longer knows this member')
        } else if (classify(error).kind === 'retriable') {
          // Coordinator gone, moving or loading: keep heartbeating (the next tick looks it up again) and keep the
          // assignment, as Kafka's clients do. When it answers again it either still knows this member (nothing
          // to do) or says UNKNOWN_MEMBER_ID (rejoin); revoking here would only force a rebalance on return.
          const attempt = Math.ceil((Date.now() - this.#lastHeartbeat) / this.#config.heartbeatIntervalMs)
          noteRetry(this.#config, `heartbeat of group ${groupId}`, attempt, this.#config.heartbeatIntervalMs, error)
        } else {
          this.#fail(toTransportError(this.#config, `heartbeat to group ${groupId}`, error))
          return
        }
      }
      if (this.#heartbeatChain === chain) this.#heartbeatTimer = setTimeout(run, this.#config.heartbeatIntervalMs)
    }
    const run = (): void => {
      beat().catch(() => {})
    }
    this.#heartbeatTimer = setTimeout(run, this.#config.heartbeatIntervalMs)
  }

  #stopHeartbeats(): void {
    if (this.#heartbeatTimer) clearTimeout(this.#heartbeatTimer)
    this.#heartbeatTimer = undefined
    this.#heartbeatChain = undefined
  }
}
