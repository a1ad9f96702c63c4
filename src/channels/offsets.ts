import type { TopicPartition, TopicPartitionOffset } from '../transport/types.ts'
import { tpKey } from '../transport/types.ts'

/**
 * The acks of one partition. Offsets arrive in order; acks may not (concurrent actors). The committable offset is
 * one past the last offset of the longest fully acked prefix of what was delivered, so a commit never passes an
 * unacked event. Offsets need not be contiguous (compaction, transaction markers).
 *
 * Delivered offsets not yet passed are kept as runs of consecutive offsets (`#starts[i]` up to `#ends[i]`,
 * exclusive), so the common case (contiguous offsets, acked in order) costs no array slot per record: delivering
 * extends the last run, acking shortens the first.
 */
class PartitionAcks {
  #starts: number[] = []
  #ends: number[] = []
  /** The first run not yet passed. */
  #head = 0
  /** Delivered and not yet passed by `committable`. */
  #outstanding = 0
  #ackedOutOfOrder = new Set<number>()
  /** Next offset to read after everything acked so far (what a commit would store); -1 before any ack. */
  committable = -1

  delivered(offset: number): void {
    const last = this.#ends.length - 1
    if (last >= this.#head && this.#ends[last] === offset) this.#ends[last] = offset + 1
    else {
      this.#starts.push(offset)
      this.#ends.push(offset + 1)
    }
    this.#outstanding++
  }

  acked(offset: number): void {
    if (this.#head >= this.#starts.length || this.#starts[this.#head] !== offset) {
      this.#ackedOutOfOrder.add(offset)
      return
    }
    this.#pass()
    const pending = this.#ackedOutOfOrder
    while (pending.size > 0 && this.#head < this.#starts.length && pending.delete(this.#starts[this.#head])) {
      this.#pass()
    }
  }

  /** Moves `committable` past the first outstanding offset. */
  #pass(): void {
    const head = this.#head
    const offset = this.#starts[head]
    this.committable = offset + 1
    this.#outstanding--
    if (offset + 1 < this.#ends[head]) {
      this.#starts[head] = offset + 1
      return
    }
    this.#head = head + 1
    if (this.#head === this.#starts.length) {
      // Everything delivered is passed: start the runs afresh (no copy).
      this.#starts.length = 0
      this.#ends.length = 0
      this.#head = 0
    } else if (this.#head > 1024 && this.#head * 2 > this.#starts.length) {
      this.#starts = this.#starts.slice(this.#head)
      this.#ends = this.#ends.slice(this.#head)
      this.#head = 0
    }
  }

  /** Delivered, dropped unprocessed on revoke: never acked, so the committable offset stays below them. */
  abandoned = 0

  /** Delivered, not acked, and not abandoned: being processed. */
  get inFlight(): number {
    return this.#outstanding - this.#ackedOutOfOrder.size - this.abandoned
  }
}

/** One tracked partition; callers may keep it (from `delivered`) to ack without a lookup. */
export interface PartitionEntry {
  tp: TopicPartition
  acks: PartitionAcks
  committed: number
  /** False once forgotten (revoked): late acks of its events no longer matter. */
  live: boolean
}

/** Tracks acks of every assigned partition and what has been committed, for the app's commit loop. */
export class AckTracker {
  #partitions = new Map<string, PartitionEntry>()
  /** Acks since the last `takeCommittable`. */
  acksSinceCommit = 0

  /** The last partition touched: consecutive records mostly share one, which saves a Map lookup per record. */
  #last: { topic: string; partition: number; entry: PartitionEntry } | undefined

  #entry(topic: string, partition: number): PartitionEntry {
    const last = this.#last
    if (last !== undefined && last.partition === partition && last.topic === topic) return last.entry
    const key = tpKey({ topic, partition })
    let entry = this.#partitions.get(key)
    if (entry === undefined) {
      entry = { tp: { topic, partition }, acks: new PartitionAcks(), committed: -1, live: true }
      this.#partitions.set(key, entry)
    }
    this.#last = { topic, partition, entry }
    return entry
  }

  /** Notes a delivered offset; returns its partition's entry, for `ackedIn`. */
  delivered(topic: string, partition: number, offset: number): PartitionEntry {
    const entry = this.#entry(topic, partition)
    entry.acks.delivered(offset)
    return entry
  }

  /** `acked` for an entry `delivered` returned: no lookup per ack. */
  ackedIn(entry: PartitionEntry, offset: number): void {
    if (!entry.live) return
    entry.acks.acked(offset)
    this.acksSinceCommit++
  }

  acked(topic: string, partition: number, offset: number): void {
    const last = this.#last
    const entry =
      last !== undefined && last.partition === partition && last.topic === topic
        ? last.entry
        : this.#partitions.get(tpKey({ topic, partition }))
    // A partition forgotten on revoke: its late acks no longer matter.
    if (entry === undefined) return
    entry.acks.acked(offset)
    this.acksSinceCommit++
  }

  abandon(topic: string, partition: number): void {
    const entry = this.#partitions.get(tpKey({ topic, partition }))
    if (entry !== undefined) entry.acks.abandoned++
  }

  inFlight(partitions?: TopicPartition[]): number {
    let total = 0
    const entries = partitions
      ? partitions.map((tp) => this.#partitions.get(tpKey(tp))).filter((e) => e !== undefined)
      : this.#partitions.values()
    for (const entry of entries) total += entry.acks.inFlight
    return total
  }

  /** Offsets that advanced since the last commit (optionally only of `partitions`), marked as committed. */
  takeCommittable(partitions?: TopicPartition[]): TopicPartitionOffset[] {
    const offsets: TopicPartitionOffset[] = []
    const wanted = partitions ? new Set(partitions.map(tpKey)) : undefined
    for (const [key, entry] of this.#partitions) {
      if (wanted && !wanted.has(key)) continue
      const committable = entry.acks.committable
      if (committable > entry.committed) {
        offsets.push({ ...entry.tp, offset: committable })
        entry.committed = committable
      }
    }
    if (!partitions) this.acksSinceCommit = 0
    return offsets
  }

  /** Reverts `takeCommittable` after a failed commit so the offsets are tried again. */
  uncommit(offsets: TopicPartitionOffset[]): void {
    for (const o of offsets) {
      const entry = this.#partitions.get(tpKey(o))
      if (entry && entry.committed === o.offset) entry.committed = -1
    }
  }

  forget(partitions: TopicPartition[]): void {
    this.#last = undefined
    for (const tp of partitions) {
      const key = tpKey(tp)
      const entry = this.#partitions.get(key)
      if (entry !== undefined) entry.live = false
      this.#partitions.delete(key)
    }
  }
}
