/** Faustus: stream processing for TypeScript on Kafka. This file is the whole public API. */

export type { AgentFunction } from './agents/actor.ts'
export {
  Agent,
  type AgentErrorPolicy,
  type AgentOptions,
  type AgentSendMessage,
  type AskOptions,
  type SendOptions,
} from './agents/agent.ts'
export type { Sink } from './agents/sinks.ts'
export type { SupervisorOptions, SupervisorStrategy } from './agents/supervisor.ts'
export { App, type AppOptions, type AppState, isApp } from './app/app.ts'
export type { ArgumentSpec, Command, CommandParams, CommandSpec, OptionSpec, ParamType } from './app/commands.ts'
export { DEAD_LETTER_HEADERS } from './app/dead-letter.ts'
export type {
  HttpMethod,
  Page,
  PageHandler,
  PageOptions,
  PageReply,
  PageRequest,
  PageView,
  TableRouteOptions,
} from './app/pages.ts'
export { resolveSettings, type Settings, type SettingsInput, SettingsSchema } from './app/settings.ts'
export type { AppStats } from './app/stats.ts'
export type { TimerOptions } from './app/timers.ts'
export { Channel } from './channels/channel.ts'
export { Topic, type TopicOptions } from './channels/topic.ts'
export { type Clock, realClock } from './clock.ts'
export {
  applyManifests,
  createAppFromManifests,
  loadManifests,
  ManifestError,
  runManifests,
  withManifests,
} from './declarative/index.ts'
export {
  type AskMessage,
  CHANNEL_NAMES,
  type CheckpointMessage,
  type CommitMessage,
  channels,
  type ErrorMessage,
  type FetchMessage,
  type LateEventMessage,
  type ProcessMessage,
  type RebalanceMessage,
  type RecoveryMessage,
} from './diagnostics.ts'
export {
  AskTimeoutError,
  CliUsageError,
  DecodeError,
  ERROR_CODES,
  type ErrorCode,
  FaustusError,
  isFaustusError,
  SettingError,
  TransportError,
  ValidationError,
} from './errors.ts'
export {
  joinTables,
  TableJoin,
  type TableJoinKind,
  type TableJoinListener,
  type TableJoinOptions,
} from './joins/index.ts'
export type { Logger, LogLevel } from './logging.ts'
export {
  any,
  binary,
  bool,
  type Codec,
  CodecRegistry,
  codecs,
  composeCodecs,
  date,
  decimal,
  float,
  type InstanceOf,
  int,
  json,
  list,
  literal,
  map,
  optional,
  type RecordClass,
  RecordRegistry,
  raw,
  record,
  records,
  registerCodec,
  str,
} from './models/index.ts'
export { LmdbStoreProvider, MemoryStoreProvider, type Store, type StoreProvider } from './stores/index.ts'
export { Event } from './streams/event.ts'
export { Stream, type StreamOptions } from './streams/stream.ts'
export type { JoinableTable, StreamTableJoinKind, StreamTableJoinOptions } from './streams/table-join.ts'
export type {
  FieldDescriptor,
  GroupByKey,
  JoinKeySelector,
  SendMessage,
  SendTarget,
  StreamChannel,
  StreamJoinKind,
  StreamJoinOptions,
} from './streams/types.ts'
export {
  type CollectionOptions,
  type CollectionStats,
  type FinalResult,
  GlobalTable,
  type KeyPartitionCheck,
  type RecoveryStats,
  type RelativeTo,
  type SessionOptions,
  type SessionTable,
  type SessionWindow,
  SetGlobalTable,
  SetTable,
  Table,
  type TableOptions,
  type Window,
  type WindowedTable,
  type WindowOptions,
  type WindowRange,
  type WindowSet,
  type WriteOptions,
} from './tables/index.ts'
export type { RecordMetadata, Transport } from './transport/types.ts'
export { type WorkerSnapshot, webServerOf } from './web/index.ts'
