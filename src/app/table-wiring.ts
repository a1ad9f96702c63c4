import type { StreamJoins } from '../joins/registry.ts'
import { TableManager } from '../tables/manager.ts'
import type { App } from './app.ts'
import { streamJoinsOf } from './joins.ts'
import type { Runtime } from './runtime.ts'

/**
 * The app's tables and stream–stream joins, wired to the runtime: tables hear of assignments before anything
 * fetches (recovery), and flush around the producer's flush at every checkpoint (an abort rolls both back).
 */
export function wireTables(
  app: App,
  runtime: Runtime,
  crash: (error: Error) => void,
): { tables: TableManager; joins: StreamJoins } {
  const tables = new TableManager({
    appId: app.id,
    log: app.log,
    defaultPartitions: app.settings.topicPartitions,
    storeUrl: app.settings.store,
    declareTopic: (name, spec) => app.declareChangelog(name, spec),
    transport: () => runtime.transport,
    producer: () => runtime.producer(),
    consumer: () => runtime.consumer,
    now: () => app.clock.now(),
    sourceTopic: (name) => {
      const topic = app.topics.get(name)
      return topic === undefined ? undefined : { keySerde: topic.keySerde, partitions: topic.partitions }
    },
    crash,
    changelogFailed: (error) => runtime.outputFailed(error),
  })
  const joins = streamJoinsOf(app.topics, tables, runtime.conductor)
  tables.configure({
    recoveryStallMs: app.settings.tableRecoveryStallMs,
    cacheMaxBytes: app.settings.tableCacheMaxBytes,
  })
  runtime.conductor.addListener({
    onAssigned: (assignment) => tables.onAssigned(assignment),
    onRevoked: (partitions) => tables.onRevoked(partitions),
  })
  runtime.addCheckpointSteps({
    beforeFlush: () => tables.beforeFlush(),
    afterFlush: (trigger) => tables.afterFlush(trigger),
    rollback: () => {
      tables.rollback()
      joins.reset()
    },
    recoverAhead: () => tables.recoverAhead(),
  })
  return { tables, joins }
}
