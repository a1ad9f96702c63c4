import type { RebalanceListener } from '../channels/conductor.ts'
import type { Topic } from '../channels/topic.ts'
import { FaustusError } from '../errors.ts'
import { StreamJoins } from '../joins/registry.ts'
import type { TableManager } from '../tables/manager.ts'
import { Table } from '../tables/table.ts'

/**
 * The app's stream–stream joins: their state tables are added to the app's tables until those start (a join built
 * later is refused), and their stream times start again after a rebalance, from the records then read.
 */
export function streamJoinsOf(
  topics: ReadonlyMap<string, Topic<any, any>>,
  tables: TableManager,
  conductor: { addListener(listener: RebalanceListener): void },
): StreamJoins {
  const joins = new StreamJoins({
    topic: (name) => topics.get(name),
    declareTable: (name, options) => {
      if (tables.started) {
        throw new FaustusError(
          'FST_JOIN_DEFINITION',
          `join state "${name}" declared after the app's tables started: build the join at definition time, or ` +
            'at the top of the task or agent, before its first await',
          { details: { table: name } },
        )
      }
      return tables.add(new Table<Buffer, Buffer>(tables, name, options))
    },
  })
  conductor.addListener({ onAssigned: () => joins.reset(), onRevoked: () => joins.reset() })
  return joins
}
