import { FaustusError } from '../errors.ts'
import type { Event } from './event.ts'
import type { Derived } from './fan-out.ts'
import { processedSource } from './processed.ts'
import type { EventSource } from './queue.ts'

/** A table a stream can be joined with (Table and GlobalTable are). */
export interface JoinableTable<K = unknown, V = unknown> {
  readonly name: string
  readonly partitions: number
  readonly global: boolean
  /**
   * The stored value of `key` (no default) in one partition of a partitioned table (the event's: the table is
   * co-partitioned with the stream), or in the whole of a global table.
   */
  lookupIn(partition: number | undefined, key: K): V | undefined
}

export type StreamTableJoinKind = 'inner' | 'left'

export interface StreamTableJoinOptions<V, K, T, O> {
  /**
   * The table key of an event: default its message key. A global table may be joined on any key (no
   * co-partitioning needed); a partitioned table is read in the event's partition, so the key must be one that
   * partitions the stream (the message key, or a field equal to it).
   */
  key?: (value: V, key: K) => unknown
  /** The output of a match (or, for a left join, of `table` = null). Default `[value, tableValue]`. */
  joiner?: (value: V, tableValue: T | null, key: K) => O
}

/**
 * Stream–table join (Kafka Streams' KStream#join(KTable)): each event looks up the table as it is when the event
 * is processed. Inner: events whose key is missing are dropped (acked). Left: they go on with `null`. The table is
 * not watched: a table change produces nothing (use a table–table join for that).
 */
export function streamTableJoinSource<V, K, T, O>(
  source: EventSource<K, V>,
  table: JoinableTable<any, T>,
  kind: StreamTableJoinKind,
  options: StreamTableJoinOptions<V, K, T, O>,
  streamPartitions: number | undefined,
): EventSource<K, O> {
  if (kind !== 'inner' && kind !== 'left') {
    throw new FaustusError('FST_JOIN_DEFINITION', `a stream–table join is 'inner' or 'left', not ${String(kind)}`)
  }
  if (!table.global && streamPartitions !== undefined && streamPartitions !== table.partitions) {
    throw copartitionError(table, streamPartitions)
  }
  const keyOf = options.key ?? ((_value: V, key: K) => key)
  const joiner = options.joiner ?? ((value: V, tableValue: T | null) => [value, tableValue] as unknown as O)
  return processedSource<K, O>([source], (_input, event: Event<K, V>) => {
    if (!table.global && event.partition !== undefined && event.partition >= table.partitions) {
      throw copartitionError(table, event.partition + 1)
    }
    const tableKey = keyOf(event.value, event.key)
    const found = tableKey === null || tableKey === undefined ? undefined : table.lookupIn(event.partition, tableKey)
    if (found === undefined && kind === 'inner') return []
    const result: Derived<K, O> = {
      key: event.key,
      value: joiner(event.value, found ?? null, event.key),
      timestamp: event.timestamp,
    }
    return [result]
  })
}

function copartitionError(table: JoinableTable, streamPartitions: number): FaustusError {
  return new FaustusError(
    'FST_JOIN_COPARTITION',
    `stream–table join: the stream has ${streamPartitions} partitions and table "${table.name}" has ` +
      `${table.partitions}: a partitioned table joins a stream with as many partitions, keyed alike (give the table ` +
      '{ partitions } of the topic, repartition the stream with groupBy, or use a GlobalTable with a key selector)',
    { details: { table: table.name, tablePartitions: table.partitions, streamPartitions } },
  )
}
