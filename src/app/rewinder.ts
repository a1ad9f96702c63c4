import type { Conductor } from '../channels/conductor.ts'
import { channels, since } from '../diagnostics.ts'
import { isFaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import {
  type Assignment,
  type Consumer,
  type TopicPartition,
  type TopicPartitionOffset,
  type Transport,
  tpKey,
} from '../transport/types.ts'
import type { Checkpoint } from './checkpoint.ts'
import type { CurrentProducer } from './current-producer.ts'
import { isRewindable, membershipLost } from './rewind.ts'

/** What a rewind needs of the runtime. */
export interface RewindHost {
  readonly appId: string
  readonly log: Logger
  readonly revokeTimeoutMs: number
  readonly conductor: Conductor
  readonly checkpoint: Checkpoint
  readonly producer: CurrentProducer | undefined
  readonly consumer: Consumer | undefined
  readonly transport: Transport | undefined
  closing(): boolean
  /** Waits until every delivered event is finished, or the deadline passes. */
  drain(isIdle: () => boolean, timeoutMs: number): Promise<boolean>
  /** Leaves the group and joins it again (read positions and tables from the committed state). */
  rejoin(): Promise<void>
  /** The app cannot go on. */
  fatal(error: unknown): void
}

/** How a rewind got the worker back to the committed state. */
export type RewindMethod = 'seek' | 'rejoin'

/**
 * Exactly-once rewind in place, after a checkpoint's transaction was aborted (and its tables rolled back): the worker
 * goes back to the last committed state without stopping, as a restart would.
 * 1. Events delivered before the abort finish (new records are dropped): their outputs go into the transaction
 *    aborted next, never into a later (committed) one, and their offsets are never committed.
 * 2. The producer is replaced by a new one with the same transactional id, once its sends settled: after a failed
 *    transaction its state cannot be trusted (sequence numbers of requests whose outcome is unknown, an abort the
 *    coordinator never got, an epoch the coordinator bumped). The new producer's InitProducerId fences the old
 *    epoch and aborts the transaction it left open; nobody waits on an EndTxn retried while the broker is away.
 * 3. The tables drop what the aborted transaction held.
 * 4. Still a member of the group: queued events are dropped, the tables recover their partitions from the committed
 *    changelog (read_committed), and every assigned source partition is sought to its committed offset; records
 *    flow again from there. Membership lost (a new generation, the member expired): the worker leaves and rejoins.
 * While the broker is away the steps are retried with backoff.
 */
export class Rewinder {
  readonly #host: RewindHost
  #running: Promise<void> | undefined
  /** Counters for metrics and tests. */
  readonly stats = { started: 0, done: 0, seeks: 0, rejoins: 0, producersReplaced: 0 }

  constructor(host: RewindHost) {
    this.#host = host
  }

  /** The rewind in progress, if any. */
  get running(): Promise<void> | undefined {
    return this.#running
  }

  /** Starts a rewind for `cause`, unless one runs already (it covers this failure too). */
  start(cause: unknown): void {
    this.#running ??= this.#rewind(cause).finally(() => {
      this.#running = undefined
    })
  }

  async #rewind(cause: unknown): Promise<void> {
    const host = this.#host
    const { log, appId: app } = host
    const started = performance.now()
    this.stats.started++
    log.warn({ ...errorFields(cause) }, 'exactly-once checkpoint failed: rewinding to the last committed offsets')
    if (channels.rewind.hasSubscribers) channels.rewind.publish({ app, error: cause, phase: 'start' })
    let renewed = false
    // ms per step of the last attempt (and the waits between attempts), for the log line at the end.
    const steps: Record<string, number> = {}
    let stepStart = performance.now()
    const step = (name: string) => {
      const now = performance.now()
      steps[name] = Math.round((steps[name] ?? 0) + now - stepStart)
      stepStart = now
    }
    for (let attempt = 1; ; attempt++) {
      if (host.closing()) return
      try {
        if (!(await host.drain(() => true, Math.max(host.revokeTimeoutMs, 30_000)))) {
          log.warn({ inFlight: host.conductor.acks.inFlight() }, 'rewind: events still running after the wait')
        }
        step('drainMs')
        const producer = host.producer
        if (producer !== undefined && !renewed) {
          renewed = true
          this.stats.producersReplaced++
          // Outputs and changelog records the finished events batched for the next turn are dropped in the same
          // step as the replacement: sent a turn later, they would go into the new producer's transaction, which
          // commits, while their events are read again from the committed offsets (duplicates).
          host.checkpoint.rollback()
          const old = producer.renew()
          // Its sends settle (they fail, or land in the transaction the new epoch aborts) before the rollback below
          // forgets failures; its close aborts the transaction in the background, if the new epoch has not already.
          await old.flush().catch((error) => log.debug({ ...errorFields(error) }, 'a replaced producer send failed'))
          old.close().catch((error) => log.debug({ ...errorFields(error) }, 'closing the replaced producer failed'))
        } else {
          // A later attempt: what the new producer may hold (nothing but timers' outputs) is aborted.
          await producer?.abort().catch((error) => log.warn({ ...errorFields(error) }, 'abort failed'))
        }
        step('replaceProducerMs')
        host.checkpoint.rollback()
        // The tables rebuild from the committed changelog while the coordinator still loads or aborts the old
        // transaction (seconds after a broker restart); step 4 then only reads what was decided meanwhile.
        const tablesAhead = host.checkpoint.recoverAhead()
        await this.#fenceOldEpoch(step)
        await tablesAhead
        step('tablesAheadWaitMs')
        if (host.closing()) return
        let method: RewindMethod = 'seek'
        if (membershipLost(cause) || !(await this.#seekToCommitted(step))) {
          method = 'rejoin'
          await host.rejoin()
          step('rejoinMs')
        }
        this.stats.done++
        if (method === 'seek') this.stats.seeks++
        else this.stats.rejoins++
        const seconds = since(started)
        log.warn(
          { attempts: attempt, method, seconds, steps },
          'rewound: consuming again from the last committed offsets',
        )
        if (channels.rewind.hasSubscribers) {
          channels.rewind.publish({ app, error: cause, phase: 'end', attempts: attempt, seconds, method })
        }
        return
      } catch (error) {
        if (!isRewindable(error) || host.closing()) {
          host.fatal(error)
          return
        }
        const delayMs = Math.min(100 * 2 ** Math.min(attempt, 5), 1_000)
        log.warn({ ...errorFields(error), attempt, delayMs }, 'rewind failed; retrying')
        step('failedAttemptsMs')
        await new Promise((resolve) => setTimeout(resolve, delayMs))
        step('backoffMs')
      }
    }
  }

  /**
   * Step 4 without leaving the group: false when this member is not in a generation (the caller rejoins). Records
   * delivered meanwhile are dropped (the checkpoint is aborted); the seeks and the end of the abort happen in one
   * synchronous step, so every record delivered after it comes from the committed offsets.
   */
  async #seekToCommitted(step: (name: string) => void): Promise<boolean> {
    const { conductor, checkpoint } = this.#host
    const consumer = this.#host.consumer
    if (consumer === undefined || consumer.groupMetadata() === undefined) return false
    const assignment = consumer.assignment()
    const held = partitionsOf(assignment)
    // Nothing assigned: a rebalance is under way (its join reads the committed offsets); rejoining is as cheap.
    if (held.length === 0) return false
    // Read while the tables recover (both only need the old transaction decided, which the fence waited for).
    const sources = new Set(conductor.topicNames())
    const reading = this.#committedPositions(
      consumer,
      assignment.actives.filter((tp) => sources.has(tp.topic)),
    )
    reading.catch(() => {})
    // As a revoke would: queued events dropped unprocessed, their tracking ended.
    await conductor.release(held)
    conductor.acks.forget(held)
    step('releaseMs')
    // As an assignment would: tables rebuild their rolled-back partitions from the committed changelog (or only
    // its last part, after the rebuild ahead).
    await conductor.onAssigned(assignment)
    step('tableRecoveryMs')
    const positions = await reading
    // A rebalance meanwhile: the rewind rejoins (a clean revoke and assignment) instead.
    if (this.#host.consumer !== consumer || consumer.groupMetadata() === undefined) return false
    if (keysOf(consumer.assignment()) !== keysOf(assignment)) return false
    for (const position of positions) consumer.seek(position)
    checkpoint.resume()
    step('committedOffsetsMs')
    return true
  }

  /**
   * The new producer starts now, not at its first output: its InitProducerId fences the old epoch and aborts the
   * transaction it left open, and an empty transaction holding the group's offsets, aborted, clears offsets the old
   * epoch left pending (a TxnOffsetCommit cut off by a broker restart). Until both, reading the committed offsets
   * answers UNSTABLE_OFFSET_COMMIT (for the transaction timeout, or for good).
   */
  async #fenceOldEpoch(step: (name: string) => void): Promise<void> {
    const producer = this.#host.producer
    const group = this.#host.consumer?.groupMetadata()
    if (producer === undefined || group === undefined) return
    await producer.sendOffsets([], group).catch((error) => {
      // A group that moved on refuses this member's generation (the rewind rejoins); the epoch is fenced anyway.
      if (!isFaustusError(error, 'FST_PRODUCER_FENCED')) throw error
    })
    step('fenceMs')
    await producer.abort()
    step('fenceAbortMs')
  }

  /** Where each partition starts again: its committed offset, else the log start (`autoOffsetReset: earliest`). */
  async #committedPositions(consumer: Consumer, partitions: TopicPartition[]): Promise<TopicPartitionOffset[]> {
    if (partitions.length === 0) return []
    const committed = await consumer.committed(partitions)
    const missing = partitions.filter((tp) => !committed.has(tpKey(tp)))
    const earliest = new Map<string, number>()
    if (missing.length > 0) {
      const transport = this.#host.transport
      if (transport === undefined) throw new Error('rewind: no transport')
      for (const p of await transport.listOffsets(missing)) earliest.set(tpKey(p), p.earliest)
    }
    return partitions.map((tp) => ({ ...tp, offset: committed.get(tpKey(tp)) ?? earliest.get(tpKey(tp)) ?? 0 }))
  }
}

function partitionsOf(assignment: Assignment): TopicPartition[] {
  return [...assignment.actives, ...assignment.standbys]
}

function keysOf(assignment: Assignment): string {
  return partitionsOf(assignment).map(tpKey).sort().join('|')
}
