import { errorFields, type Logger } from '../logging.ts'
import type { Collection } from './collection.ts'
import type { RecoveryStats } from './manager.ts'

/** What the rebuild ahead needs of the table manager. */
export interface RebuildAheadHost {
  readonly log: Logger
  readonly tables: ReadonlyMap<string, Collection>
  /** Set by a rollback: the active partitions are cleared and must be rebuilt (by this, or at the assignment). */
  rebuildOnAssign: boolean
  lastRecovery: RecoveryStats
  /** Replays the changelogs of the active partitions of tables that are not global, until `signal` aborts. */
  replayActive(signal: AbortSignal): Promise<number>
}

/**
 * Exactly-once, during a rewind: rebuilds the rolled-back active partitions from the committed changelog while the
 * transaction coordinator is still loading or aborting the failed transaction, instead of after it. Safe whatever
 * becomes of that transaction: a read_committed reader only gets records of transactions already decided, so this
 * is a prefix of the committed state; the assignment after the rewind goes on from each store's applied offset to
 * the end offset then (reading what a commit in doubt added, or nothing). A table change made after it started, a
 * rollback, or a failure leaves the partitions to be rebuilt in full by the assignment, as without it; so are
 * partitions it did not rebuild (assigned since).
 */
export class RebuildAhead {
  readonly #host: RebuildAheadHost
  /** Table changes made so far: one made during a rebuild ahead voids it. */
  writes = 0
  #running: Promise<void> | undefined
  #abort = new AbortController()
  /** What the last rebuild ahead rebuilt, until the next assignment, and the table changes made before it began. */
  #rebuilt: { partitions: Set<string>; writes: number } | undefined

  constructor(host: RebuildAheadHost) {
    this.#host = host
  }

  /** Starts a rebuild ahead when a rollback asked for one (after the one running); never rejects. */
  start(): Promise<void> {
    if (!this.#host.rebuildOnAssign) return this.#running ?? Promise.resolve()
    const signal = this.#abort.signal
    const running = (this.#running ?? Promise.resolve()).then(() => this.#run(signal))
    this.#running = running
    void running.finally(() => {
      if (this.#running === running) this.#running = undefined
    })
    return running
  }

  async #run(signal: AbortSignal): Promise<void> {
    const host = this.#host
    if (signal.aborted || !host.rebuildOnAssign) return
    host.rebuildOnAssign = false
    const rebuilt = new Set<string>()
    this.#rebuilt = { partitions: rebuilt, writes: this.writes }
    for (const { table, partition } of rolledBack(host.tables)) {
      table.clearPartition(partition)
      rebuilt.add(partitionKey(table, partition))
    }
    const started = Date.now()
    try {
      const records = await host.replayActive(signal)
      host.lastRecovery = { records, durationMs: Date.now() - started }
      host.log.debug({ records, durationMs: Date.now() - started }, 'tables rebuilt ahead of the assignment')
    } catch (error) {
      host.rebuildOnAssign = true
      host.log.debug({ ...errorFields(error) }, 'table rebuild ahead of the assignment stopped; rebuilt on assignment')
    }
  }

  /** Waits for the rebuild ahead running to end, cut short with `abort` (a stop). */
  async settle(abort: boolean): Promise<void> {
    if (this.#running === undefined) return
    if (abort) {
      this.#abort.abort()
      this.#abort = new AbortController()
    }
    await this.#running
  }

  /**
   * At an assignment: clears the active partitions that must be rebuilt from the start of their changelog: all of
   * them after a rollback not rebuilt ahead (or a change made during the rebuild ahead), else those it did not cover.
   */
  clearAtAssignment(): void {
    const host = this.#host
    const rebuilt = this.#rebuilt
    this.#rebuilt = undefined
    if (!host.rebuildOnAssign && rebuilt === undefined) return
    const all = host.rebuildOnAssign || rebuilt?.writes !== this.writes
    host.rebuildOnAssign = false
    for (const { table, partition } of rolledBack(host.tables)) {
      if (all || !rebuilt?.partitions.has(partitionKey(table, partition))) table.clearPartition(partition)
    }
  }
}

/** The partitions an exactly-once rollback clears: the active ones of tables that are not global. */
export function* rolledBack(
  tables: ReadonlyMap<string, Collection>,
): Generator<{ table: Collection; partition: number }> {
  for (const table of tables.values()) {
    if (table.global) continue
    for (const partition of table.activePartitions) yield { table, partition }
  }
}

function partitionKey(table: Collection, partition: number): string {
  return `${table.name}\u0000${partition}`
}
