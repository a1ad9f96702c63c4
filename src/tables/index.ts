export { Collection } from './collection.ts'
export type { ChangelogSpec, CollectionHost } from './collection-host.ts'
export { type RecoveryStats, TableManager, type TableManagerHost, type TableManagerOptions } from './manager.ts'
export { SessionTable } from './session.ts'
export { SET_ADD, SET_DISCARD, SET_UPDATE, SetGlobalTable, SetTable } from './set-table.ts'
export { GlobalTable, Table } from './table.ts'
export type {
  CollectionOptions,
  CollectionStats,
  KeyPartitionCheck,
  SessionOptions,
  TableOptions,
  WindowOptions,
  WriteOptions,
} from './types.ts'
export type { FinalResult, RelativeTo } from './window-view.ts'
export { WindowedTable, WindowSet } from './windowed.ts'
export type { SessionWindow, Window, WindowRange } from './windows.ts'
