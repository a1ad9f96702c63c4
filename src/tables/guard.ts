import { currentActor } from '../agents/context.ts'
import { FaustusError } from '../errors.ts'
import type { Event } from '../streams/event.ts'
import { describeKey } from './keys.ts'
import type { CollectionOptions, KeyPartitionCheck } from './types.ts'

/** What the write guard needs to know about the worker. */
export interface OwnershipView {
  /** The partition a source topic gives `key` (its key codec, murmur2), or undefined when it cannot tell. */
  keyPartition(sourceTopic: string, key: unknown): number | undefined
}

/** The source partition of a key, remembered for the topic it was computed for (hot keys skip the hashing). */
export interface KeyPartitionMemo {
  sourceTopic: string | undefined
  sourcePartition: number | undefined
}

export interface GuardedTable {
  readonly name: string
  /** Changelog partitions this worker actively owns. */
  readonly activePartitions: ReadonlySet<number>
  readonly changelogTopic: string
  readonly partitions: number
  readonly global: boolean
  readonly keyPartitionCheck: 'warn' | 'strict' | 'off'
  /** A write kept in the event's partition although the key hashes to `keyPartition` (check `warn`). */
  noteKeyPartitionMismatch(topic: string, partition: number, keyPartition: number, key: unknown): void
}

/**
 * The changelog partition a write goes to, as Faust: the partition of the event being processed (not the key's
 * hash). Refused, with the reason, when:
 *   - the writing agent has concurrency > 1 (its actors interleave: FST_AGENT_CONCURRENT_WRITE);
 *   - there is no event and no explicit partition (a task or timer: FST_TABLE_OUTSIDE_AGENT);
 *   - this worker does not actively own that partition (FST_TABLE_WRONG_PARTITION);
 *   - with `keyPartitionCheck: 'strict'`, the key hashes to another partition of the source topic
 *     (FST_TABLE_WRONG_PARTITION, "groupBy first"); with `'warn'` (the default) the write is kept in the event's
 *     partition, counted and warned about once per source partition.
 */
export function writePartition(
  table: GuardedTable,
  view: OwnershipView,
  key: unknown,
  explicit: number | undefined,
  memo?: KeyPartitionMemo,
): number {
  const actor = currentActor()
  if (actor !== undefined && actor.concurrency > 1) {
    throw new FaustusError(
      'FST_AGENT_CONCURRENT_WRITE',
      `agent "${actor.agent}" has concurrency ${actor.concurrency} and cannot write table "${table.name}": ` +
        'tables are read-only for concurrent agents (use concurrency 1, or groupBy to a single-actor agent)',
      { details: { agent: actor.agent, table: table.name } },
    )
  }
  const event: Event | undefined = explicit === undefined ? actor?.current() : undefined
  const partition = explicit ?? event?.partition
  if (partition === undefined) {
    throw new FaustusError(
      'FST_TABLE_OUTSIDE_AGENT',
      `table "${table.name}" written outside an agent processing a topic event: pass { partition } explicitly`,
      { details: { table: table.name } },
    )
  }
  if (!Number.isInteger(partition) || partition < 0 || partition >= table.partitions) {
    throw new FaustusError(
      'FST_TABLE_WRONG_PARTITION',
      `table "${table.name}" has ${table.partitions} partitions: cannot write partition ${partition} ` +
        '(give the table as many partitions as its source topic)',
      { details: { table: table.name, partition } },
    )
  }
  if (!table.global && !table.activePartitions.has(partition)) {
    throw new FaustusError(
      'FST_TABLE_WRONG_PARTITION',
      `table "${table.name}": partition ${partition} is not owned by this worker now; ` +
        'a table is partitioned like its source topic: groupBy the stream by the table key first',
      { details: { table: table.name, partition } },
    )
  }
  if (event !== undefined && table.keyPartitionCheck !== 'off' && event.topic !== undefined) {
    let expected: number | undefined
    if (memo !== undefined && memo.sourceTopic === event.topic) expected = memo.sourcePartition
    else {
      expected = view.keyPartition(event.topic, key)
      if (memo !== undefined) {
        memo.sourceTopic = event.topic
        memo.sourcePartition = expected
      }
    }
    if (expected !== undefined && expected !== partition) {
      if (table.keyPartitionCheck === 'warn') {
        table.noteKeyPartitionMismatch(event.topic, partition, expected, key)
        return partition
      }
      throw new FaustusError(
        'FST_TABLE_WRONG_PARTITION',
        `table "${table.name}": key ${describeKey(key)} belongs to partition ${expected} of "${event.topic}", but ` +
          `the event being processed is from partition ${partition}: groupBy the stream by the table key first ` +
          "(stream.groupBy(...)), produce the topic with a murmur2 partitioner, or set keyPartitionCheck: 'warn' " +
          "(keep the update in the event's partition) or 'off' for keys derived from the event key",
        { details: { table: table.name, partition, keyPartition: expected, topic: event.topic } },
      )
    }
  }
  return partition
}

const KEY_PARTITION_CHECKS: readonly KeyPartitionCheck[] = ['warn', 'strict', 'off']

/** The table's `keyPartitionCheck`, from it or from the older boolean `checkKeyPartition`. */
export function keyPartitionCheckOf(table: string, options: CollectionOptions): KeyPartitionCheck {
  const { keyPartitionCheck: check, checkKeyPartition: legacy } = options
  if (check !== undefined && !KEY_PARTITION_CHECKS.includes(check)) {
    throw new FaustusError(
      'FST_APP_DEFINITION',
      `table "${table}": keyPartitionCheck must be 'warn', 'strict' or 'off', not ${JSON.stringify(check)}`,
    )
  }
  if (legacy === undefined) return check ?? 'warn'
  const fromLegacy: KeyPartitionCheck = legacy ? 'strict' : 'off'
  if (check !== undefined && check !== fromLegacy) {
    throw new FaustusError(
      'FST_APP_DEFINITION',
      `table "${table}": checkKeyPartition: ${legacy} contradicts keyPartitionCheck: '${check}' (give only keyPartitionCheck)`,
    )
  }
  return fromLegacy
}

/** Why a write kept in the event's partition, although its key hashes elsewhere, may count a key apart. */
export function keyPartitionMismatchMessage(
  table: string,
  topic: string,
  partition: number,
  keyPartition: number,
  key: unknown,
): string {
  return (
    `table "${table}": key ${describeKey(key)} of "${topic}" partition ${partition} hashes to partition ` +
    `${keyPartition} (murmur2, as Kafka's Java client and Faust partition keys). The update is kept in partition ` +
    `${partition}, the event's, and reads inside agents processing that partition find it; but the same key ` +
    'sent through another partition would be counted apart. Either the topic was produced with another ' +
    "partitioner (librdkafka's default, as kcat and the confluent-kafka clients use, hashes with crc32: set " +
    'partitioner=murmur2_random there), or the stream is not keyed by the table key (groupBy it first). Logged ' +
    "once per topic partition; counted in table.stats.keyPartitionMismatches; keyPartitionCheck: 'strict' " +
    "refuses such writes, 'off' skips the check."
  )
}
