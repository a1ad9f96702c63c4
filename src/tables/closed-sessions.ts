import type { Store } from '../stores/types.ts'

/** Store meta name of a partition's closed-session ends (`[[keyId, end], ...]`), written when the store flushes. */
export const CLOSED_SESSIONS_META = 'closedSessions'

/**
 * The end of each key's latest closed session, per partition: an event at or before it belongs to a session whose
 * final result is out, so it is late, even when a later session of the key is within the gap. Without it, such an
 * event would stretch the later session back over the closed one: a late click after a normal close, or, after a
 * crash under at-least-once, every replayed click of a session that closed again on restart (its events read again
 * from the last commit) would be absorbed by the next session of the key, changing that session's window.
 * Known from closes on this worker, from the closed windows' tombstones that recovery or a standby applies, and
 * from the store's meta (a persistent store recovers only the changelog's tail), written at each store flush with
 * the data it goes with.
 */
export class ClosedSessions {
  readonly #ends = new Map<number, Map<string, number>>()
  readonly #sweptAt = new Map<number, number>()
  readonly #dirty = new Set<number>()
  /** Stream time past a closed end after which no open session of the key can reach back to it: 2 gaps + grace. */
  readonly #horizon: number
  readonly #store: (partition: number) => Store

  constructor(horizon: number, store: (partition: number) => Store) {
    this.#horizon = horizon
    this.#store = store
  }

  #partition(partition: number): Map<string, number> {
    let ends = this.#ends.get(partition)
    if (ends === undefined) {
      const stored = this.#store(partition).meta(CLOSED_SESSIONS_META)
      ends = new Map(stored === undefined ? [] : (JSON.parse(stored) as [string, number][]))
      this.#ends.set(partition, ends)
    }
    return ends
  }

  /** A session of the key (by key id) ending at `end` closed. */
  closed(partition: number, keyId: string, end: number): void {
    const ends = this.#partition(partition)
    if (end > (ends.get(keyId) ?? Number.NEGATIVE_INFINITY)) {
      ends.set(keyId, end)
      this.#dirty.add(partition)
    }
  }

  /** Whether an event of the key at `time` is at or before the end of one of its closed sessions. */
  covers(partition: number, keyId: string, time: number): boolean {
    const end = this.#partition(partition).get(keyId)
    return end !== undefined && time <= end
  }

  /**
   * Forgets the ends no event can need any more: stream time is past end + horizon and the key has no session
   * open (a session opened after that starts more than a gap after the end). Runs once per horizon of stream time.
   */
  sweep(partition: number, streamTime: number, hasSessions: (keyId: string) => boolean): void {
    if (streamTime - (this.#sweptAt.get(partition) ?? Number.NEGATIVE_INFINITY) < this.#horizon) return
    this.#sweptAt.set(partition, streamTime)
    const ends = this.#partition(partition)
    for (const [keyId, end] of ends) {
      if (end + this.#horizon <= streamTime && !hasSessions(keyId)) {
        ends.delete(keyId)
        this.#dirty.add(partition)
      }
    }
  }

  /** Before the stores flush: the ends changed since go to their partition's meta. */
  persist(): void {
    for (const partition of this.#dirty) {
      const ends = this.#ends.get(partition)
      if (ends !== undefined) this.#store(partition).setMeta(CLOSED_SESSIONS_META, JSON.stringify([...ends]))
    }
    this.#dirty.clear()
  }

  /** The partition's store was cleared, its meta with it (it is recovered again from the changelog). */
  clear(partition: number): void {
    this.#ends.delete(partition)
    this.#sweptAt.delete(partition)
    this.#dirty.delete(partition)
  }
}
