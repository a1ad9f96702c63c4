/**
 * The memory consumer: a group member (or a manually assigned reader) with one fetch loop.
 *
 * The loop hands `onRecords` a batch and awaits it before the next (backpressure). With nothing to read it sleeps
 * until a producer appends to one of its partitions, or until seek/resume/assign/rebalance wakes it: no polling.
 * Every few batches it yields to the event loop so timers and I/O run while a long backlog drains.
 *
 * A handler that throws is a bug of the layer above: the consumer stops, leaves its group without revoking (its
 * partitions go to the others, uncommitted records are read again, as after a crash), and the error is rejected from
 * `start()` when it is still pending, else given to `onError` (default: raised as an unhandled rejection).
 * Do not await a membership change of the same group (start/close) inside a handler: the rebalance waits for the
 * handler, which waits for the rebalance.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises'
import { TransportError } from '../../errors.ts'
import { CopartitionedAssignor } from '../assignor.ts'
import type {
  Assignment,
  Consumer,
  ConsumerHandler,
  ConsumerOptions,
  GroupMetadata,
  MemberAssignment,
  TopicPartition,
  TopicPartitionOffset,
} from '../types.ts'
import { tpKey } from '../types.ts'
import type { MemoryBroker } from './broker.ts'
import { Fetcher, type StartPosition } from './fetcher.ts'
import type { GroupMember, MemoryGroup } from './group.ts'

export type ConsumerErrorListener = (error: unknown) => void

/** Nobody awaits a running consumer, so by default a crash is made loud. */
const raiseUnhandled: ConsumerErrorListener = (error) => {
  void Promise.reject(error)
}

const DEFAULT_MAX_BATCH = 1000
/** Batches handled back to back before yielding to the event loop. */
const BATCHES_PER_YIELD = 16

export class MemoryConsumer implements Consumer {
  readonly #broker: MemoryBroker
  readonly #group: MemoryGroup | null
  readonly #handler: ConsumerHandler
  readonly #reset: 'earliest' | 'latest'
  readonly #maxBatch: number
  readonly #onError: ConsumerErrorListener
  readonly #fetcher: Fetcher
  /** This consumer as the group sees it. */
  readonly #member: GroupMember | null
  #assignment: Assignment = { actives: [], standbys: [] }
  /** The group generation of the current assignment. */
  #generation = -1
  /** No new batch starts while set (not started, rebalancing, closing). */
  #suspended = true
  #stopped = false
  #starting = false
  #failure: unknown = null
  #loop: Promise<void> | null = null
  #inFlight: Promise<void> | null = null
  #sleeper: (() => void) | null = null
  #closing: Promise<void> | null = null

  constructor(broker: MemoryBroker, options: ConsumerOptions, onError: ConsumerErrorListener = raiseUnhandled) {
    this.#broker = broker
    this.#onError = onError
    this.#handler = options.handler
    this.#reset = options.autoOffsetReset ?? 'earliest'
    this.#maxBatch = Math.max(1, options.maxBatchSize ?? DEFAULT_MAX_BATCH)
    this.#fetcher = new Fetcher({
      readCommitted: (options.isolationLevel ?? 'read_committed') === 'read_committed',
      trackMoves: options.handler.onPosition !== undefined,
    })
    this.#group = options.groupId === undefined ? null : broker.group(options.groupId)
    this.#member =
      this.#group === null
        ? null
        : {
            memberId: this.#group.nextMemberId(),
            topics: [...new Set(options.topics ?? [])],
            // One assignor per member: it remembers this member's assignment for stickiness.
            assignor: options.assignor ?? new CopartitionedAssignor(),
            revoke: () => this.#revoke(),
            assign: (given) => this.#takeAssignment(given),
            resume: () => this.#resumeFetching(),
            fail: (error) => this.#fail(error),
          }
  }

  async start(): Promise<void> {
    if (this.#loop !== null || this.#stopped) return
    this.#loop = this.#run()
    if (this.#group === null || this.#member === null) {
      this.#resumeFetching()
      return
    }
    this.#starting = true
    try {
      await this.#group.join(this.#member)
    } finally {
      this.#starting = false
    }
    if (this.#failure !== null) throw this.#failure
  }

  async assign(partitions: TopicPartitionOffset[]): Promise<void> {
    if (this.#group !== null) {
      throw new TransportError('FST_TRANSPORT', `consumer of group "${this.#group.id}" cannot be assigned manually`)
    }
    const starts = partitions.map((p) => ({ ...p, log: this.#broker.log(p) }))
    this.#fetcher.set(starts)
    this.#assignment = { actives: partitions.map(({ topic, partition }) => ({ topic, partition })), standbys: [] }
    this.#wake()
  }

  async commit(offsets: TopicPartitionOffset[]): Promise<void> {
    this.#requireGroup('commit').commit(offsets)
  }

  async committed(partitions: TopicPartition[]): Promise<Map<string, number>> {
    const group = this.#requireGroup('read committed offsets')
    const out = new Map<string, number>()
    for (const tp of partitions) {
      const offset = group.committed(tp)
      if (offset !== undefined) out.set(tpKey(tp), offset)
    }
    return out
  }

  pause(partitions: TopicPartition[]): void {
    this.#fetcher.pause(partitions, true)
  }

  resume(partitions: TopicPartition[]): void {
    this.#fetcher.pause(partitions, false)
    this.#wake()
  }

  seek(position: TopicPartitionOffset): void {
    this.#fetcher.seek(position, position.offset)
    this.#wake()
  }

  assignment(): Assignment {
    return this.#assignment
  }

  groupMetadata(): GroupMetadata | undefined {
    if (this.#group === null || this.#member === null || this.#generation < 0) return undefined
    return { groupId: this.#group.id, generationId: this.#generation, memberId: this.#member.memberId }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    if (this.#member !== null && this.#loop !== null && !this.#stopped) await this.#group!.leave(this.#member)
    await this.#stop()
  }

  // Called by the group during rebalances.

  async #revoke(): Promise<void> {
    await this.#quiesce()
    const partitions = [...this.#assignment.actives, ...this.#assignment.standbys]
    if (partitions.length > 0 && this.#failure === null) await this.#handler.onRevoked(partitions)
    this.#fetcher.clear()
    this.#assignment = { actives: [], standbys: [] }
  }

  async #takeAssignment(given: MemberAssignment): Promise<void> {
    if (this.#stopped || this.#member === null) return
    this.#assignment = this.#member.assignor.decodeAssignment(given.partitions, given.userData)
    this.#generation = this.#group!.generation
    const starts: StartPosition[] = []
    for (const tp of given.partitions) {
      const topic = this.#broker.topic(tp.topic)
      const log = topic?.partitions[tp.partition]
      if (log) starts.push({ topic: tp.topic, partition: tp.partition, log, offset: this.#startOffset(tp, log) })
    }
    // Positions are set before onAssigned so a seek there (table recovery) wins.
    this.#fetcher.set(starts)
    await this.#handler.onAssigned(this.#assignment)
  }

  #resumeFetching(): void {
    if (this.#stopped) return
    this.#suspended = false
    this.#wake()
  }

  #fail(error: unknown): void {
    this.#failure ??= error
    this.#stopped = true
    this.#suspended = true
    this.#wake()
    if (!this.#starting) this.#onError(error) // else start() rethrows it
  }

  #startOffset(tp: TopicPartition, log: { earliest: number; latest: number }): number {
    const committed = this.#group?.committed(tp)
    if (committed !== undefined && committed >= log.earliest && committed <= log.latest) return committed
    return this.#reset === 'earliest' ? log.earliest : log.latest
  }

  async #run(): Promise<void> {
    let sinceYield = 0
    while (!this.#stopped) {
      const batch = this.#suspended ? null : this.#fetcher.collect(this.#maxBatch)
      if (batch === null) {
        await this.#sleep()
        continue
      }
      try {
        if (batch.length > 0) {
          const pending = this.#handler.onRecords(batch)
          if (pending) {
            this.#inFlight = pending
            await pending
          }
        }
        const onPosition = this.#handler.onPosition
        if (onPosition !== undefined) {
          for (const { topic, partition, offset } of this.#fetcher.moved)
            onPosition.call(this.#handler, { topic, partition, offset })
        }
      } catch (error) {
        this.#crash(error)
        return
      } finally {
        this.#inFlight = null
      }
      if (++sinceYield === BATCHES_PER_YIELD) {
        sinceYield = 0
        await yieldToEventLoop()
      }
    }
  }

  /** Sleeps until woken; watches the logs only when fetching, so an append wakes it. */
  #sleep(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#sleeper = resolve
      if (!this.#suspended) this.#fetcher.watch(this.#wake)
    })
  }

  readonly #wake = (): void => {
    const sleeper = this.#sleeper
    if (sleeper === null) return
    this.#sleeper = null
    this.#fetcher.unwatch(this.#wake)
    sleeper()
  }

  /** No new batch starts after this; resolves when the batch in flight (if any) is handled. */
  async #quiesce(): Promise<void> {
    this.#suspended = true
    const inFlight = this.#inFlight
    if (inFlight) await inFlight.catch(() => {})
  }

  async #stop(): Promise<void> {
    this.#stopped = true
    await this.#quiesce()
    this.#wake()
    await this.#loop
    this.#fetcher.clear()
  }

  #crash(error: unknown): void {
    this.#fail(new TransportError('FST_TRANSPORT', 'consumer handler failed', { cause: error }))
    if (this.#member !== null) void this.#group!.remove(this.#member)
  }

  #requireGroup(action: string): MemoryGroup {
    if (this.#group === null) throw new TransportError('FST_TRANSPORT', `cannot ${action} without a groupId`)
    return this.#group
  }
}
