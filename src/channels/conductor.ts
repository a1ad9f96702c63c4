import { channels, since } from '../diagnostics.ts'
import { isFaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import { Event, Message, type MessageAcker } from '../streams/event.ts'
import type { EventQueue } from '../streams/queue.ts'
import type { Assignment, ConsumedRecord, TopicPartition } from '../transport/types.ts'
import { tpKey } from '../transport/types.ts'
import { AckTracker, type PartitionEntry } from './offsets.ts'
import type { Topic } from './topic.ts'

interface Route {
  topic: Topic<any, any>
  queues: EventQueue<any, any>[]
  /** Events that arrived while every stream of the route had ended (an actor restarting): for the next one. */
  parked: Event[]
}

/** Hooks of what else must hear about rebalances (tables, partition-isolated agents). */
export interface RebalanceListener {
  onAssigned?(assignment: Assignment): Promise<void> | void
  onRevoked?(partitions: TopicPartition[]): Promise<void> | void
}

export interface ConductorHost {
  /** The app id, named in diagnostics messages. */
  readonly appId?: string
  readonly log: Logger
  /** Acks between commits before one is forced (Faust's broker_commit_every). */
  readonly commitEvery: number
  /** How long a revoke waits for in-flight events before committing what is acked. */
  readonly revokeTimeoutMs: number
  /** Called for a record whose key or value cannot be decoded, after it was logged. */
  onUndecodable(error: unknown, record: ConsumedRecord): Promise<void>
}

/**
 * Routes consumed records to the queues of the streams reading their topic (decoding once per topic) and tracks
 * acks. On a revoke it drops the partitions' queued events and waits for those being processed (`release`); the
 * checkpoint (src/app/checkpoint.ts) then commits, and `acks.forget` ends the partitions' tracking.
 */
export class Conductor implements MessageAcker {
  readonly acks = new AckTracker()
  readonly #routes = new Map<string, Route[]>()
  readonly #listeners: RebalanceListener[] = []
  /** Topics whose records bypass the streams and ack tracking (table changelogs followed as standbys). */
  readonly #diverted = new Map<string, (records: ConsumedRecord[]) => void>()
  readonly #host: ConductorHost
  #generation = 0
  #commitRequested: (() => void) | null = null
  /** When the rebalance under way began (`performance.now()`), for its duration. */
  #rebalanceStart: number | undefined
  /** How long a revoke waits for in-flight events; 0 when the app crashed and nothing will ack them. */
  revokeWaitMs: number
  /** When the revoke under way stops waiting for in-flight events and partition-isolated actors. */
  #revokeDeadline = 0
  /** Counters for metrics and tests. */
  readonly stats = { received: 0, undecodable: 0 }

  constructor(host: ConductorHost) {
    this.#host = host
    this.revokeWaitMs = host.revokeTimeoutMs
  }

  subscribe(topic: Topic<any, any>, queue: EventQueue<any, any>): void {
    for (const name of topic.names) {
      let routes = this.#routes.get(name)
      if (routes === undefined) this.#routes.set(name, (routes = []))
      let route = routes.find((r) => r.topic === topic)
      if (route === undefined) routes.push((route = { topic, queues: [], parked: [] }))
      this.#dropClosed(route)
      route.queues.push(queue)
      for (const event of route.parked.splice(0)) queue.push(event)
    }
  }

  /** Ends every stream reading through the conductor (app stop); streams subscribe again on the next start. */
  closeQueues(): void {
    for (const routes of this.#routes.values()) {
      for (const route of routes) {
        for (const q of route.queues) q.close()
        // Never processed: the partition's next reader gets them again from the last commit.
        for (const event of route.parked) this.#abandon(event)
      }
    }
    this.#routes.clear()
  }

  /**
   * Stops routing to streams that ended (an actor restarting ends the streams its failed run derived). What they
   * had buffered and not read is parked for the next stream of the route, so it is neither lost nor left unacked.
   */
  #dropClosed(route: Route): EventQueue<any, any>[] {
    const open: EventQueue<any, any>[] = []
    for (const queue of route.queues) {
      if (!queue.closed) open.push(queue)
      else route.parked.push(...queue.takeAll())
    }
    route.queues = open
    return open
  }

  #abandon(event: Event): void {
    const message = event.message
    if (message === null || message.abandoned) return
    message.abandoned = true
    this.acks.abandon(message.topic, message.partition)
  }

  addListener(listener: RebalanceListener): void {
    this.#listeners.push(listener)
  }

  /** Hears the partitions of `topics` assigned and revoked (partition-isolated agents). */
  watchPartitions(
    topics: readonly string[],
    listener: {
      onAssigned(partitions: number[]): void
      onRevoked(partitions: number[], waitMs: number): Promise<void>
    },
  ): void {
    const ofTopics = (tps: TopicPartition[]) => [
      ...new Set(tps.filter((tp) => topics.includes(tp.topic)).map((tp) => tp.partition)),
    ]
    this.addListener({
      onAssigned: (assignment) => listener.onAssigned(ofTopics(assignment.actives)),
      onRevoked: (partitions) =>
        listener.onRevoked(ofTopics(partitions), Math.max(0, this.#revokeDeadline - Date.now())),
    })
  }

  /** Records of `topic` go to `handler` instead of streams; they are neither acked nor committed. */
  divert(topic: string, handler: (records: ConsumedRecord[]) => void): void {
    this.#diverted.set(topic, handler)
  }

  /**
   * Records that must not be processed (exactly-once, after an aborted transaction until the rewind ends): diverted
   * ones (standby changelogs, which the abort does not touch) are still applied, so a standby has no hole; the
   * others are dropped undelivered and read again from the committed offsets.
   */
  onRecordsHeld(records: ConsumedRecord[]): void {
    if (this.#diverted.size > 0) this.#divert(records)
  }

  topicNames(): string[] {
    return [...this.#routes.keys()]
  }

  /** Sets a function called when enough acks accumulated that a commit is due. */
  onCommitDue(request: () => void): void {
    this.#commitRequested = request
  }

  async onRecords(records: ConsumedRecord[]): Promise<void> {
    if (this.#diverted.size > 0) records = this.#divert(records)
    if (channels.fetch.hasSubscribers) channels.fetch.publish({ app: this.#host.appId, records })
    const generation = this.#generation
    const touched = new Set<EventQueue<any, any>>()
    const acks = this.acks
    // Consecutive records mostly share a topic: its routes are looked up when it changes (and after an await).
    let routesTopic: string | undefined
    let routes: Route[] | undefined
    this.stats.received += records.length
    for (let i = 0; i < records.length; i++) {
      const record = records[i]
      const message = new Message(record, this)
      message.generation = generation
      message.tracking = acks.delivered(record.topic, record.partition, record.offset)
      // Held during delivery so an early ack by one stream cannot complete the message before the others get it.
      message.refs = 1
      if (record.topic !== routesTopic) {
        routesTopic = record.topic
        routes = this.#routes.get(routesTopic)
      }
      if (routes !== undefined) {
        for (let r = 0; r < routes.length; r++) {
          // A promise only for an undecodable record: the common path costs no microtask per record.
          const undecodable = this.#deliver(routes[r], record, message, touched)
          if (undecodable !== undefined) {
            await undecodable
            routesTopic = undefined
          }
        }
      }
      message.release()
    }
    for (const queue of touched) await queue.writable()
  }

  /** Hands diverted records to their handlers (in order, per topic); returns the others. */
  #divert(records: ConsumedRecord[]): ConsumedRecord[] {
    let kept: ConsumedRecord[] | null = null
    let taken: Map<(records: ConsumedRecord[]) => void, ConsumedRecord[]> | null = null
    for (let i = 0; i < records.length; i++) {
      const record = records[i]
      const handler = this.#diverted.get(record.topic)
      if (handler === undefined) {
        kept?.push(record)
        continue
      }
      kept ??= records.slice(0, i)
      taken ??= new Map()
      const list = taken.get(handler)
      if (list) list.push(record)
      else taken.set(handler, [record])
    }
    if (taken !== null) for (const [handler, list] of taken) handler(list)
    return kept ?? records
  }

  #deliver(
    route: Route,
    record: ConsumedRecord,
    message: Message,
    touched: Set<EventQueue<any, any>>,
  ): Promise<void> | undefined {
    let event: Event
    try {
      event = route.topic.decode(record, message)
    } catch (error) {
      this.stats.undecodable++
      this.#host.log.error(
        { ...errorFields(error), topic: record.topic, partition: record.partition, offset: record.offset },
        'skipping a record that cannot be decoded',
      )
      if (!isFaustusError(error)) return Promise.reject(error)
      return this.#host.onUndecodable(error, record)
    }
    let queues = route.queues
    if (anyClosed(queues)) {
      queues = this.#dropClosed(route)
      if (queues.length === 0) {
        route.parked.push(event)
        return
      }
    }
    queues[0].push(event)
    touched.add(queues[0])
    for (let i = 1; i < queues.length; i++) {
      queues[i].push(new Event(event.key, event.value, event.headers, message, event.replyTo))
      touched.add(queues[i])
    }
  }

  /**
   * Exactly-once checkpoints: stops handing queued events to streams (`EventQueue.pause`), so that once the events
   * already taken are acked, no event is half-processed and a transaction can be cut there.
   */
  pauseStreams(paused: boolean): void {
    for (const routes of this.#routes.values()) {
      for (const route of routes) for (const queue of route.queues) paused ? queue.pause() : queue.resume()
    }
  }

  /**
   * Events delivered and not acked that no stream has taken yet (queued or parked). Meaningful only without
   * fan-out (`fansOut`): with it, one stream may have finished a message another has still queued.
   */
  untaken(): number {
    let count = 0
    for (const routes of this.#routes.values()) {
      for (const route of routes) {
        count += route.parked.length
        for (const queue of route.queues) count += queue.size
      }
    }
    return count
  }

  /** Whether a topic's records go to more than one stream. */
  fansOut(): boolean {
    for (const routes of this.#routes.values()) {
      if (routes.length > 1 || routes.some((route) => route.queues.length > 1)) return true
    }
    return false
  }

  acked(message: Message): void {
    if (message.generation !== this.#generation || message.abandoned) return
    const entry = message.tracking as PartitionEntry | undefined
    if (entry !== undefined) this.acks.ackedIn(entry, message.offset)
    else this.acks.acked(message.topic, message.partition, message.offset)
    const every = this.#host.commitEvery
    if (every > 0 && this.acks.acksSinceCommit >= every) this.#commitRequested?.()
  }

  async onAssigned(assignment: Assignment): Promise<void> {
    this.#generation++
    this.#rebalanceStarted()
    for (const listener of this.#listeners) await listener.onAssigned?.(assignment)
    const seconds = since(this.#rebalanceStart ?? performance.now())
    this.#rebalanceStart = undefined
    if (channels.rebalance.hasSubscribers)
      channels.rebalance.publish({ app: this.#host.appId, phase: 'end', ...assignment, seconds })
  }

  #rebalanceStarted(): void {
    if (this.#rebalanceStart !== undefined) return
    this.#rebalanceStart = performance.now()
    if (channels.rebalance.hasSubscribers) channels.rebalance.publish({ app: this.#host.appId, phase: 'start' })
  }

  /**
   * First half of a revoke: events of `partitions` still queued are dropped unprocessed (never acked, so never
   * committed), events being processed are awaited (bounded by `revokeWaitMs`), and listeners hear of it.
   */
  async release(partitions: TopicPartition[]): Promise<void> {
    this.#rebalanceStarted()
    this.#revokeDeadline = Date.now() + this.revokeWaitMs
    const revoked = new Set(partitions.map(tpKey))
    for (const routes of this.#routes.values()) {
      for (const route of routes) {
        for (const queue of route.queues) {
          queue.discard((event) => {
            const message = event.message
            if (message === null || !revoked.has(tpKey(message))) return false
            this.#abandon(event)
            return true
          })
        }
      }
    }
    await this.#waitForInFlight(partitions)
    for (const listener of this.#listeners) await listener.onRevoked?.(partitions)
  }

  /** Waits (bounded) until events of `partitions` still being processed are acked. */
  async #waitForInFlight(partitions: TopicPartition[]): Promise<void> {
    while (this.acks.inFlight(partitions) > 0 && Date.now() < this.#revokeDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
    const left = this.acks.inFlight(partitions)
    if (left > 0) this.#host.log.warn({ inFlight: left }, 'revoke timeout: committing what was acked')
  }
}

function anyClosed(queues: readonly EventQueue<any, any>[]): boolean {
  for (let i = 0; i < queues.length; i++) if (queues[i].closed) return true
  return false
}
