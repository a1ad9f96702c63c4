import type { AckTracker } from '../channels/offsets.ts'
import { channels, observeCheckpoint, since } from '../diagnostics.ts'
import { FaustusError } from '../errors.ts'
import { errorFields, type Logger } from '../logging.ts'
import type { Consumer, TopicPartitionOffset, TransactionalProducer } from '../transport/types.ts'
import type { Outputs } from './outputs.ts'

/** Why a checkpoint runs. */
export type CheckpointTrigger = 'interval' | 'acks' | 'revoke' | 'stop' | 'crash'

/** Local state taking part in checkpoints (the tables). */
export interface CheckpointState {
  /** Step 1: hand buffered changelog records to the producer (and wait until it has them). */
  beforeFlush(): Promise<void> | void
  /**
   * Step 3: make stores durable, each with the changelog offset it has applied. `trigger` says why the checkpoint
   * runs: a store may defer this at 'acks' checkpoints (see TableManager.afterFlush).
   */
  afterFlush(trigger: CheckpointTrigger): Promise<void> | void
  /** Exactly-once: the transaction was aborted; drop the changes it held. */
  rollback(): void
  /**
   * Exactly-once, during a rewind after `rollback`: start rebuilding the state from what is committed, before the
   * failed transaction is known to be aborted (see TableManager.recoverAhead). Never rejects.
   */
  recoverAhead?(): Promise<void>
}

/** What an exactly-once checkpoint needs of the streams to cut a transaction between events. */
export interface CheckpointStreams {
  /** Streams stop (or resume) taking queued events. */
  pause(paused: boolean): void
  /** Delivered events no stream has taken yet. */
  untaken(): number
  /** A topic read by several streams (its messages can be half-processed while queued). */
  fansOut(): boolean
}

export interface CheckpointOptions {
  /** The app id, named in diagnostics messages. */
  readonly appId?: string
  readonly log: Logger
  readonly acks: AckTracker
  readonly outputs: Outputs
  /** Most time between two checkpoints while consuming (Faust's broker_commit_interval). */
  readonly intervalMs: number
  /** Exactly-once: the streams, held still while a transaction is cut (the conductor). */
  readonly streams?: CheckpointStreams
  /** Exactly-once: a checkpoint failed and the tables were rolled back; the runtime ends the transaction, rewinding or stopping. */
  readonly onAborted: (error: unknown) => void
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
  /** Exactly-once: the transactional producer every output and changelog record goes through (the app's one). */
  transactions: TransactionalProducer | undefined
  readonly #state: CheckpointState[] = []
  #consumer: Consumer | undefined
  #timer: NodeJS.Timeout | undefined
  #running: Promise<void> | undefined
  /** The checkpoint queued behind the running one, shared by every trigger that arrived meanwhile. */
  #next: Promise<void> | undefined
  /** Exactly-once: set while a checkpoint runs; the consumer's records wait for it (see `#runExactlyOnce`). */
  #gate: Promise<void> | undefined
  /**
   * Exactly-once: a transaction was aborted and the tables rolled back. Until the rewind ends (`resume`) or the
   * consumer is bound again, records are dropped undelivered and nothing is committed.
   */
  aborted = false
  /** Counters for metrics and tests. */
  readonly stats = { checkpoints: 0, failed: 0, committedOffsets: 0, aborted: 0 }

  constructor(options: CheckpointOptions) {
    this.#options = options
  }

  addState(state: CheckpointState): void {
    this.#state.push(state)
  }

  /** Binds the group consumer whose offsets are committed, and starts the interval. */
  bind(consumer: Consumer): void {
    this.#consumer = consumer
    this.aborted = false
    this.#intervalOn = true
    this.#armInterval()
  }

  /** Whether interval checkpoints run (from `bind` until `stopInterval`). */
  #intervalOn = false

  /**
   * The next interval checkpoint, `intervalMs` from now. At-least-once checkpoints run beside the streams, so they
   * keep a fixed pace. Exactly-once ones hold the streams while they cut a transaction, so the interval counts from
   * the end of the last checkpoint (as Kafka Streams counts `commit.interval.ms` from its last commit): with a
   * fixed pace, a checkpoint slower than the interval would start the next one at once and leave the streams no
   * time between transactions.
   */
  #armInterval(): void {
    clearTimeout(this.#timer)
    const { intervalMs } = this.#options
    this.#timer =
      this.transactions === undefined
        ? setInterval(() => this.request('interval'), intervalMs)
        : setTimeout(() => {
            this.request('interval')
            // None started (after an abort, until the rewind resumes): keep the pace.
            if (this.#running === undefined) this.#armInterval()
          }, intervalMs)
    this.#timer.unref?.()
  }

  /** Stops the interval; the consumer stays bound until `unbind` (its close still revokes and checkpoints). */
  stopInterval(): void {
    this.#intervalOn = false
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Exactly-once: a rewind in place put the consumer back at the committed offsets; records count again. */
  resume(): void {
    this.aborted = false
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
    if (this.#consumer === undefined || this.aborted) return Promise.resolve()
    if (this.#running === undefined) return this.#start(trigger)
    this.#next ??= this.#running
      .catch(() => {})
      .then(() => {
        this.#next = undefined
        // An abort meanwhile (exactly-once): nothing to commit until the consumer is bound again.
        if (this.#consumer === undefined || this.aborted) return
        return this.#start(trigger)
      })
    return this.#next
  }

  #start(trigger: CheckpointTrigger): Promise<void> {
    // Exactly-once: no interval tick while this runs; the next counts from its end (see `#armInterval`).
    const exactlyOnce = this.transactions !== undefined
    if (exactlyOnce) clearTimeout(this.#timer)
    const running = observeCheckpoint(this.#options.appId ?? '', this.#run(trigger)).finally(() => {
      if (this.#running === running) this.#running = undefined
      if (exactlyOnce && this.#intervalOn && this.#consumer !== undefined) this.#armInterval()
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
  async #run(trigger: CheckpointTrigger): Promise<void> {
    if (this.transactions !== undefined) return this.#runExactlyOnce(trigger, this.transactions)
    const { acks, outputs } = this.#options
    // Taken first: every event acked by now has handed its outputs and table changes over already (an actor
    // acks an event when it moves past it), so steps 1-2 cover them; later acks wait for the next checkpoint.
    const offsets = acks.takeCommittable()
    try {
      for (const state of this.#state) await state.beforeFlush() // 1
      await outputs.flush() // 2
      for (const state of this.#state) await state.afterFlush(trigger) // 3
      if (trigger === 'stop' || trigger === 'revoke') {
        // Step 3 may queue changelog records that waited for step 2 (closed windows' tombstones): the partitions
        // leave this worker now, so they go out too before the commit.
        for (const state of this.#state) await state.beforeFlush()
        await outputs.flush()
      }
      if (offsets.length > 0) await this.#commit(offsets) // 4
      this.stats.checkpoints++
    } catch (error) {
      acks.uncommit(offsets)
      this.stats.failed++
      throw error
    }
  }

  /** Exactly-once: records wait here while a checkpoint runs (undefined, at no cost, otherwise). */
  get gate(): Promise<void> | undefined {
    return this.#gate
  }

  /**
   * The exactly-once checkpoint: the same steps, with step 2 the transaction and no step 4. A transaction may hold
   * only outputs of events whose offsets it commits, so it is cut between events: new records wait at the gate and
   * the streams stop taking queued events (`streams.pause`); once the events already taken are finished (queued
   * ones need not be), every delivered event is either finished or untouched. On a revoke or stop the conductor
   * has waited for them already; any still unfinished then abort the transaction. With fan-out (a topic read by
   * several streams) a message can be finished by one stream and queued for another, so there every delivered
   * event is finished first instead.
   * 1. table changelog records handed to the producer (into the open transaction) and every output of the
   *    finished events acknowledged;
   * 2. the transaction sealed (later outputs go into the next one), so the streams go on while it ends: the
   *    source offsets sent to it with the group metadata (a zombie's are refused), and it is committed;
   * 3. stores made durable with their changelog offsets.
   * On failure the transaction is aborted and the tables drop what it held (`rollback`); then `onAborted` decides:
   * a retriable failure rewinds in place (src/app/rewinder.ts: reads again from the last committed offsets, the
   * tables recover from their changelogs), a fatal one (a fenced instance id, refused authorization) stops the app.
   */
  async #runExactlyOnce(trigger: CheckpointTrigger, producer: TransactionalProducer): Promise<void> {
    const { acks, outputs, streams } = this.#options
    let open!: () => void
    this.#gate = new Promise((resolve) => {
      open = resolve
    })
    const reopen = () => {
      if (this.#gate === undefined) return
      this.#gate = undefined
      streams?.pause(false)
      open()
    }
    let offsets: TopicPartitionOffset[] = []
    try {
      if (trigger === 'interval' || trigger === 'acks') await this.#finishTakenEvents()
      else if (acks.inFlight() > 0) {
        throw new FaustusError('FST_TRANSPORT', `${acks.inFlight()} events still being processed at ${trigger}`)
      }
      offsets = acks.takeCommittable()
      const group = offsets.length > 0 ? this.#consumer?.groupMetadata() : undefined
      if (offsets.length > 0 && group === undefined) {
        throw new FaustusError('FST_TRANSPORT', 'the consumer is not in a group generation')
      }
      const started = performance.now()
      // The offsets go to the group coordinator while the outputs are flushed (they count only at the commit).
      const sendingOffsets = group === undefined ? undefined : producer.sendOffsets(offsets, group)
      sendingOffsets?.catch(() => {})
      for (const state of this.#state) await state.beforeFlush() // 1
      await outputs.flush()
      await sendingOffsets
      const committing = producer.commit() // 2
      reopen()
      await committing
      this.#committed(offsets, started)
      for (const state of this.#state) await state.afterFlush(trigger) // 3
      this.stats.checkpoints++
    } catch (error) {
      acks.uncommit(offsets)
      this.stats.failed++
      this.#abort(error)
      throw error
    } finally {
      reopen()
    }
  }

  /**
   * Exactly-once, between checkpoints triggered while consuming: waits until no delivered event is half-processed
   * (see `#runExactlyOnce`). Checked every turn of the event loop: the wait is the time to finish one event.
   */
  async #finishTakenEvents(): Promise<void> {
    const { acks, streams, intervalMs } = this.#options
    let turns = 0
    // Every turn at first (an event usually finishes within a few); then every millisecond, not to spin.
    const turn = () => new Promise((resolve) => (turns++ < 100 ? setImmediate(resolve) : setTimeout(resolve, 1)))
    if (streams !== undefined && !streams.fansOut()) {
      streams.pause(true)
      // An event that cannot finish without the next ones (a batch of `take` waiting to fill) holds the cut until
      // its own timer fires; past the interval every queued event is finished instead.
      const deadline = performance.now() + Math.max(intervalMs, 1_000)
      while (acks.inFlight() > streams.untaken() && performance.now() < deadline) await turn()
      if (acks.inFlight() <= streams.untaken()) return
      streams.pause(false)
    }
    while (acks.inFlight() > 0) await turn()
  }

  /**
   * The tables and unsent outputs are rolled back at once (a revoke or rejoin running next must not see them); the
   * transaction itself is ended by `onAborted`: a rewind replaces the producer (the new epoch aborts it at the
   * coordinator without waiting on an EndTxn that retries while the broker is away), a stop closes it.
   */
  #abort(cause: unknown): void {
    this.stats.aborted++
    this.aborted = true
    this.#options.log.error({ ...errorFields(cause) }, 'checkpoint failed: rolling back the transaction and tables')
    this.rollback()
    this.#options.onAborted(cause)
  }

  /** Exactly-once, in a rewind after `rollback`: the state starts rebuilding from what is committed. */
  recoverAhead(): Promise<void> {
    return Promise.all(this.#state.map((state) => state.recoverAhead?.())).then(() => {})
  }

  /** Exactly-once: drops what the aborted transaction held: outputs not yet sent and the tables' changes. */
  rollback(): void {
    this.#options.outputs.discard()
    for (const state of this.#state) state.rollback()
  }

  #committed(offsets: TopicPartitionOffset[], started: number): void {
    this.stats.committedOffsets += offsets.length
    if (offsets.length > 0 && channels.commit.hasSubscribers) {
      channels.commit.publish({ app: this.#options.appId ?? '', offsets, seconds: since(started) })
    }
  }

  async #commit(offsets: TopicPartitionOffset[]): Promise<void> {
    const consumer = this.#consumer
    try {
      if (consumer === undefined) throw new Error('no consumer to commit through')
      const started = performance.now()
      await consumer.commit(offsets)
      this.#committed(offsets, started)
    } catch (error) {
      this.#options.acks.uncommit(offsets)
      throw error
    }
  }
}
