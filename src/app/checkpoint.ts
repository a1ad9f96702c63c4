import type { AckTracker } from '../channels/offsets.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Consumer, TopicPartitionOffset } from '../transport/types.ts'
import type { Outputs } from './outputs.ts'

/** Why a checkpoint runs. */
export type CheckpointTrigger = 'interval' | 'acks' | 'revoke' | 'stop' | 'crash'

/** Local state taking part in checkpoints (the tables). */
export interface CheckpointState {
  /** Step 1: hand buffered changelog records to the producer (and wait until it has them). */
  beforeFlush(): Promise<void> | void
  /** Step 3: make stores durable, each with the changelog offset it has applied. */
  afterFlush(): Promise<void> | void
}

export interface CheckpointOptions {
  readonly log: Logger
  readonly acks: AckTracker
  readonly outputs: Outputs
  /** Most time between two checkpoints while consuming (Faust's broker_commit_interval). */
  readonly intervalMs: number
}

/**
 * The one place offsets are committed. Triggers: an interval, every N acks (the conductor asks), a revoke, a stop
 * and a crash; checkpoints never overlap (a trigger arriving during one runs one more after it, so what was acked
 * before the trigger is covered). The steps are all in `#run`.
 *
 * The consumer whose offsets are committed is bound for the consumer's whole life, including the revoke its
 * `close()` runs: the final checkpoint of a stop commits through it.
 */
export class Checkpoint {
  readonly #options: CheckpointOptions
  readonly #state: CheckpointState[] = []
  #consumer: Consumer | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  /** The checkpoint queued behind the running one, shared by every trigger that arrived meanwhile. */
  #next: Promise<void> | undefined
  /** Counters for metrics and tests. */
  readonly stats = { checkpoints: 0, failed: 0, committedOffsets: 0 }

  constructor(options: CheckpointOptions) {
    this.#options = options
  }

  addState(state: CheckpointState): void {
    this.#state.push(state)
  }

  /** Binds the group consumer whose offsets are committed, and starts the interval. */
  bind(consumer: Consumer): void {
    this.#consumer = consumer
    clearInterval(this.#timer)
    this.#timer = setInterval(() => this.request('interval'), this.#options.intervalMs)
    this.#timer.unref?.()
  }

  /** Stops the interval; the consumer stays bound until `unbind` (its close still revokes and checkpoints). */
  stopInterval(): void {
    clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** After the consumer closed: nothing more to commit. */
  unbind(): void {
    this.stopInterval()
    this.#consumer = undefined
  }

  /** A checkpoint in the background; a failure is logged and the next trigger tries again. */
  request(trigger: CheckpointTrigger): void {
    this.run(trigger).catch((error) =>
      this.#options.log.warn({ ...errorFields(error), trigger }, 'checkpoint failed; offsets not committed'),
    )
  }

  /** Runs a checkpoint after the one in progress, if any; rejects if any step fails. */
  run(trigger: CheckpointTrigger): Promise<void> {
    if (this.#consumer === undefined) return Promise.resolve()
    if (this.#running === undefined) return this.#start(trigger)
    this.#next ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#next = undefined
        return this.#start(trigger)
      })
    return this.#next
  }

  #start(trigger: CheckpointTrigger): Promise<void> {
    const running = this.#run(trigger).finally(() => {
      if (this.#running === running) this.#running = undefined
    })
    this.#running = running
    return running
  }

  /**
   * The checkpoint. Each step runs only if every earlier one succeeded:
   * 1. every table's buffered changelog records handed to the producer;
   * 2. the producer flushed and every output (sinks, repartitioning, replies, changelogs) acknowledged, so
   *    nothing an acked event produced exists only in memory;
   * 3. stores made durable, each with the changelog offset it has applied (the offset is acknowledged by now,
   *    so a store never claims a change its changelog may lack);
   * 4. source offsets committed: per partition, the offset below which every delivered event is acked.
   * A failure leaves the committed offsets where they were: the events since are processed again (at least once).
   */
  async #run(_trigger: CheckpointTrigger): Promise<void> {
    const { acks, outputs } = this.#options
    try {
      for (const state of this.#state) await state.beforeFlush() // 1
      await outputs.flush() // 2
      for (const state of this.#state) await state.afterFlush() // 3
      const offsets = acks.takeCommittable() // 4
      if (offsets.length > 0) await this.#commit(offsets)
      this.stats.checkpoints++
    } catch (error) {
      this.stats.failed++
      throw error
    }
  }

  async #commit(offsets: TopicPartitionOffset[]): Promise<void> {
    const consumer = this.#consumer
    try {
      if (consumer === undefined) throw new Error('no consumer to commit through')
      await consumer.commit(offsets)
      this.stats.committedOffsets += offsets.length
    } catch (error) {
      this.#options.acks.uncommit(offsets)
      throw error
    }
  }
}
