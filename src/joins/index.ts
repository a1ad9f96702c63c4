export {
  joinTables,
  TableJoin,
  type TableJoinKind,
  type TableJoinListener,
  type TableJoinOptions,
} from './table-join.ts'
export type { JoinStats, JoinWindowSpec } from './window-join.ts'
