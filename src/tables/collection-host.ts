import type { Logger } from '../logging.ts'
import type { Store } from '../stores/types.ts'
import type { ProduceRecord } from '../transport/types.ts'
import type { ChangeOwner } from './changelog-cache.ts'
import type { Collection } from './collection.ts'
import type { OwnershipView } from './guard.ts'

/** Broker-side shape of a changelog topic. */
export interface ChangelogSpec {
  partitions: number
  compacting: boolean
  deleting: boolean
  retention?: number
}

/** What a table needs from the app's table manager. */
export interface CollectionHost extends OwnershipView {
  readonly appId: string
  readonly log: Logger
  readonly defaultPartitions: number
  /** Declares (or re-declares, when a window changes its retention) the changelog topic. */
  declareChangelog(name: string, spec: ChangelogSpec): void
  openStore(table: Collection, partition: number): Store
  /**
   * Queues a changelog record; it reaches the producer before the next checkpoint's flush. With `owner` (where the
   * key's cached change is kept) it may be coalesced with later changes of the key until then (compacted only).
   */
  writeChangelog(record: ProduceRecord, owner?: ChangeOwner): void
  /** Queues the tombstone of a closed window: after the outputs' flush under at-least-once (its final result). */
  writeClosedWindowTombstone?(record: ProduceRecord): void
  /** The app clock's time (windows relative to now); default the wall clock. */
  now?(): number
}

/** A change written to a table: its partition, the stored key bytes, and the stored value bytes (null: deleted). */
export type ChangeListener = (partition: number, key: Buffer, value: Buffer | null) => void

export type CollectionKind = 'table' | 'global' | 'set' | 'set-global'
