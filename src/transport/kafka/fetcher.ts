import { findErrorBy, ListOffsetTimestamps } from '@platformatic/kafka'
import type { ConsumedRecord, TopicPartition, TopicPartitionOffset } from '../types.ts'
import { tpKey } from '../types.ts'
import { abortedTransactionsOf } from './aborted-list.ts'
import type { FetchRequestTopic, FetchResponse, KafkaClient } from './client.ts'
import { noteRetry, sleep, toTransportError } from './errors.ts'
import { classify } from './faults.ts'
import { type FetchedPart, type NodeState, newState, type OutOfRange, type PartitionState } from './fetch-state.ts'
import { backoffMs, type KafkaConfig } from './options.ts'
import { toConsumedRecords } from './records.ts'

export interface FetcherOptions {
  deliver: (records: ConsumedRecord[]) => Promise<void> | void
  /** A fetch failed with an error retrying cannot fix (authorization, a closed client): fetching stops. */
  fail: (error: unknown) => void
  maxBatchSize: number
  /** Told where a partition's reading got to after each handled response (control records included). */
  onPosition?: (position: TopicPartitionOffset) => void
}

const RESET_ERRORS = new Set([1]) // OFFSET_OUT_OF_RANGE
const STALE_METADATA_ERRORS = new Set([3, 5, 6, 74, 76]) // unknown partition, no/other leader, leader epochs

/**
 * Fetches assigned partitions from their leaders from explicit offsets and hands batches to the handler one at a
 * time. One fetch per broker runs ahead while the previous response is being handled; nothing more is fetched until
 * the handler catches up (backpressure). Pause, resume and seek act per partition.
 */
export class Fetcher {
  readonly #client: KafkaClient
  readonly #config: KafkaConfig
  readonly #options: FetcherOptions
  readonly #partitions = new Map<string, PartitionState>()
  readonly #nodes = new Map<number, NodeState>()
  readonly #inflight = new Set<Promise<void>>()
  #delivery: Promise<void> = Promise.resolve()
  #running = false
  /** Bumped by stop(): work started before is discarded. */
  #generation = 0
  #scheduled = false
  #failures = 0
  /** Aborted by stop(): cuts short a retry backoff. */
  #abort = new AbortController()

  constructor(client: KafkaClient, config: KafkaConfig, options: FetcherOptions) {
    this.#client = client
    this.#config = config
    this.#options = options
  }

  /** Replaces the set of partitions read; kept partitions keep their positions, new ones start unknown. */
  setPartitions(partitions: TopicPartition[]): void {
    const next = new Map<string, PartitionState>()
    for (const tp of partitions) {
      const key = tpKey(tp)
      next.set(key, this.#partitions.get(key) ?? newState(tp))
    }
    this.#partitions.clear()
    for (const [key, state] of next) this.#partitions.set(key, state)
    // The library looks up metadata of the tracked topics on each fetch: track exactly the assigned ones.
    const topics = new Set(partitions.map((tp) => tp.topic))
    for (const topic of [...this.#client.topics.keys()]) if (!topics.has(topic)) this.#client.topics.untrack(topic)
    for (const topic of topics) if (!this.#client.topics.has(topic)) this.#client.topics.track(topic)
    this.#kick()
  }

  partitions(): TopicPartition[] {
    return [...this.#partitions.values()].map((s) => s.tp)
  }

  /** Assigned partitions whose read position is not known yet. */
  unpositioned(): TopicPartition[] {
    return [...this.#partitions.values()].filter((s) => s.position < 0).map((s) => s.tp)
  }

  has(tp: TopicPartition): boolean {
    return this.#partitions.has(tpKey(tp))
  }

  seek(tp: TopicPartition, offset: number): void {
    const state = this.#partitions.get(tpKey(tp))
    if (!state) return
    // Below 0 is before any log start: read from the start (the broker answers out of range if it moved).
    state.position = Math.max(0, offset)
    state.fetchOffset = state.position
    state.epoch++
    this.#kick()
  }

  pause(tp: TopicPartition): void {
    const state = this.#partitions.get(tpKey(tp))
    if (!state || state.paused) return
    state.paused = true
    state.fetchOffset = state.position
  }

  resume(tp: TopicPartition): void {
    const state = this.#partitions.get(tpKey(tp))
    if (!state?.paused) return
    state.paused = false
    state.fetchOffset = state.position
    state.epoch++
    this.#kick()
  }

  start(): void {
    this.#running = true
    this.#kick()
  }

  /** Stops fetching; resolves when the batch being handled (if any) is done. Undelivered data is dropped. */
  async stop(): Promise<void> {
    this.#running = false
    this.#generation++
    this.#abort.abort()
    this.#abort = new AbortController()
    while (this.#inflight.size > 0) await Promise.allSettled([...this.#inflight])
    await this.#delivery
    this.#nodes.clear()
    for (const state of this.#partitions.values()) {
      state.inFlight = false
      state.fetchOffset = state.position
      state.epoch++
    }
  }

  #kick(): void {
    if (!this.#running || this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#schedule().catch((error) => this.#retryLater('planning a fetch', error))
    })
  }

  async #schedule(): Promise<void> {
    if (!this.#running) return
    const ready = [...this.#partitions.values()].filter((s) => !s.paused && !s.inFlight && s.position >= 0)
    if (ready.length === 0) return
    const topics = [...new Set(ready.map((s) => s.tp.topic))]
    const metadata = await this.#client.metadata({ topics })
    if (!this.#running) return
    const byNode = new Map<number, PartitionState[]>()
    for (const state of ready) {
      const leader = metadata.topics.get(state.tp.topic)?.partitions[state.tp.partition]?.leader
      if (leader === undefined || leader < 0) continue
      const node = this.#node(leader)
      if (node.fetching || node.undelivered > 1) continue
      let list = byNode.get(leader)
      if (!list) byNode.set(leader, (list = []))
      list.push(state)
    }
    for (const [leader, states] of byNode) {
      const topicRequests = new Map<string, FetchRequestTopic>()
      const ids = new Map<string, string>()
      for (const state of states) {
        const topicMetadata = metadata.topics.get(state.tp.topic)!
        ids.set(topicMetadata.id, state.tp.topic)
        let request = topicRequests.get(topicMetadata.id)
        if (!request) topicRequests.set(topicMetadata.id, (request = { topicId: topicMetadata.id, partitions: [] }))
        request.partitions.push({
          partition: state.tp.partition,
          currentLeaderEpoch: topicMetadata.partitions[state.tp.partition].leaderEpoch ?? -1,
          fetchOffset: BigInt(state.fetchOffset),
          lastFetchedEpoch: -1,
          partitionMaxBytes: this.#config.fetchPartitionMaxBytes,
        })
      }
      const run = this.#fetchNode(leader, states, [...topicRequests.values()], ids)
      this.#inflight.add(run)
      run.finally(() => this.#inflight.delete(run))
    }
  }

  #node(id: number): NodeState {
    let node = this.#nodes.get(id)
    if (!node) this.#nodes.set(id, (node = { fetching: false, undelivered: 0 }))
    return node
  }

  async #fetchNode(
    leader: number,
    states: PartitionState[],
    request: FetchRequestTopic[],
    topicIds: Map<string, string>,
  ): Promise<void> {
    const generation = this.#generation
    const node = this.#node(leader)
    node.fetching = true
    const requested = new Map(states.map((s) => [tpKey(s.tp), { state: s, epoch: s.epoch, from: s.fetchOffset }]))
    for (const state of states) state.inFlight = true
    let response: FetchResponse | undefined
    let failure: unknown
    try {
      response = await this.#client.fetchFrom(leader, request)
    } catch (error) {
      failure = error
      response = (findErrorBy(error as Error, 'code', 'PLT_KFK_RESPONSE') as { response?: FetchResponse } | null)
        ?.response
    }
    node.fetching = false
    for (const state of states) state.inFlight = false
    if (generation !== this.#generation) return

    const parts: FetchedPart[] = []
    const resets: OutOfRange[] = []
    let stale = false
    for (const topicResponse of response?.responses ?? []) {
      const topic = topicIds.get(topicResponse.topicId) ?? topicResponse.topicId
      for (const p of topicResponse.partitions) {
        const entry = requested.get(tpKey({ topic, partition: p.partitionIndex }))
        if (!entry) continue
        const { state, epoch, from } = entry
        if (this.#partitions.get(tpKey(state.tp)) !== state || state.epoch !== epoch || state.paused) continue
        if (p.errorCode !== 0) {
          if (RESET_ERRORS.has(p.errorCode)) {
            resets.push({ state, epoch, from, earliest: Number(p.logStartOffset), latest: Number(p.highWatermark) })
          } else if (STALE_METADATA_ERRORS.has(p.errorCode)) stale = true
          continue
        }
        const read = toConsumedRecords(topic, p.partitionIndex, p.records, from, abortedTransactionsOf(p))
        const { records, nextOffset } = read
        state.fetchOffset = nextOffset
        if (records.length > 0 || nextOffset > from) parts.push({ state, epoch, records, nextOffset })
      }
    }
    if (stale) this.#client.clearMetadata()
    if (resets.length > 0) await this.#clamp(resets)
    if (failure && parts.length === 0 && resets.length === 0) {
      this.#client.clearMetadata()
      await this.#retryLater(`fetching from broker ${leader}`, failure)
      return
    }
    this.#failures = 0
    if (parts.length === 0) {
      this.#kick()
      return
    }
    node.undelivered++
    this.#kick() // the next fetch from this broker runs while this response is handled
    const delivered = this.#enqueue(parts, generation)
    await delivered
    node.undelivered--
    this.#kick()
  }

  /**
   * Out of the log (a seek past the end, a committed offset removed by retention): clamp to the log's bounds, as the
   * memory transport does. The broker may leave the bounds out of the error; then they are looked up.
   */
  async #clamp(resets: OutOfRange[]): Promise<void> {
    for (const { state, epoch, from, earliest, latest } of resets) {
      let [low, high] = [earliest, latest]
      if (low < 0 || high < 0) {
        try {
          const topics = [state.tp.topic]
          const partitions = { [state.tp.topic]: [state.tp.partition] }
          const [first, last] = await Promise.all([
            this.#client.listOffsets({ topics, partitions, timestamp: ListOffsetTimestamps.EARLIEST }),
            this.#client.listOffsets({ topics, partitions, timestamp: ListOffsetTimestamps.LATEST }),
          ])
          low = Number(first.get(state.tp.topic)?.[state.tp.partition] ?? -1)
          high = Number(last.get(state.tp.topic)?.[state.tp.partition] ?? -1)
        } catch (error) {
          await this.#retryLater(`looking up the bounds of ${state.tp.topic}[${state.tp.partition}]`, error)
          continue
        }
      }
      const offset = from < low ? low : high
      this.#config.logger.warn(
        `offset ${from} out of range for ${state.tp.topic}[${state.tp.partition}], moved to ${offset}`,
      )
      const current = this.#partitions.get(tpKey(state.tp)) === state && state.epoch === epoch
      if (offset >= 0 && current) this.seek(state.tp, offset)
    }
  }

  /**
   * Faults are retried for as long as it takes, except configuration errors and a closed client, which stop
   * fetching (a fetch has no side effect, so even an unclassified failure is safe to retry).
   */
  async #retryLater(what: string, error: unknown): Promise<void> {
    const { kind } = classify(error)
    if (kind === 'auth' || kind === 'authorization' || kind === 'host' || kind === 'closed') {
      if (!this.#running) return
      this.#running = false
      this.#options.fail(toTransportError(this.#config, what, error))
      return
    }
    this.#failures++
    const delay = backoffMs(this.#failures)
    noteRetry(this.#config, what, this.#failures, delay, error)
    await sleep(delay, this.#abort.signal)
    this.#kick()
  }

  /** Queues a response for delivery after the ones before it (handler calls never overlap). */
  #enqueue(parts: FetchedPart[], generation: number): Promise<void> {
    const next = this.#delivery.then(() => this.#deliverParts(parts, generation))
    this.#delivery = next.catch(() => {})
    return this.#delivery
  }

  #valid(part: FetchedPart, generation: number): boolean {
    const { state } = part
    return (
      generation === this.#generation &&
      this.#partitions.get(tpKey(state.tp)) === state &&
      state.epoch === part.epoch &&
      !state.paused
    )
  }

  async #deliverParts(parts: FetchedPart[], generation: number): Promise<void> {
    const max = this.#options.maxBatchSize
    let batch: ConsumedRecord[] = []
    let owners = new Map<PartitionState, { part: FetchedPart; last: number }>()
    const flush = async (): Promise<boolean> => {
      if (batch.length === 0) return true
      const records = batch
      const included = owners
      batch = []
      owners = new Map()
      try {
        await this.#options.deliver(records)
      } catch {
        // The consumer decides what a failed handler means; nothing after this batch is delivered from here, and
        // whatever was fetched ahead is read again if fetching goes on.
        for (const part of parts) if (this.#valid(part, generation)) this.seek(part.state.tp, part.state.position)
        return false
      }
      for (const { part, last } of included.values()) {
        if (this.#valid(part, generation) && last + 1 > part.state.position) part.state.position = last + 1
      }
      return true
    }
    for (const part of parts) {
      const { records, state } = part
      let i = 0
      while (i < records.length && records[i].offset < state.position) i++
      while (i < records.length && this.#valid(part, generation)) {
        const take = Math.min(records.length - i, max - batch.length)
        for (let j = 0; j < take; j++) batch.push(records[i + j])
        i += take
        owners.set(state, { part, last: records[i - 1].offset })
        if (batch.length >= max && !(await flush())) return
      }
    }
    if (!(await flush())) return
    // Fully handled: the position also moves past control records and compacted gaps at the end.
    const onPosition = this.#options.onPosition
    for (const part of parts) {
      if (!this.#valid(part, generation)) continue
      if (part.nextOffset > part.state.position) part.state.position = part.nextOffset
      onPosition?.({ ...part.state.tp, offset: part.state.position })
    }
  }
}
