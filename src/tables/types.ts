import type { TypeArg } from '../channels/serde.ts'

/** Options shared by every kind of table. */
export interface CollectionOptions {
  /** Codec or record of keys; default JSON (Faust's table default). */
  keyType?: TypeArg
  /** Codec or record of values; a record validates every value written (FST_TABLE_VALUE). Default JSON. */
  valueType?: TypeArg
  /** Partitions of the changelog topic; default the app's `topicPartitions`. Match the source topic's. */
  partitions?: number
  /** A store URL for this table (`memory://`, `lmdb://<dir>`); default the app's `store`. */
  store?: string
  /** Changelog topic name; default `{appId}-{table}-changelog`. */
  changelogTopic?: string
  /** Standby copies of each partition on other workers (Faust's `table_standby_replicas`); default 1. */
  standbys?: number
  /** Shown by `faustus tables`. */
  help?: string
  /**
   * What to do when a written key does not hash (murmur2 of the source topic's key codec, as Kafka's Java client and
   * Faust partition) to the partition of the event being processed, e.g. a topic filled by a librdkafka producer
   * (kcat, confluent-kafka: crc32 by default), or a stream not keyed by the table key:
   * - `'warn'` (default): keep the update in the event's partition (as Faust and Kafka Streams do), warn once per
   *   source topic and partition, and count it (`stats.keyPartitionMismatches`);
   * - `'strict'`: refuse the write (FST_TABLE_WRONG_PARTITION);
   * - `'off'`: no check (keys derived from the event key, which stay with it on one partition).
   */
  keyPartitionCheck?: KeyPartitionCheck
  /** @deprecated Use `keyPartitionCheck`: `true` is `'strict'`, `false` is `'off'`. */
  checkKeyPartition?: boolean
}

export type KeyPartitionCheck = 'warn' | 'strict' | 'off'

export interface TableOptions<V> extends CollectionOptions {
  /** Value of a missing key (`get` returns it; `update` starts from it). */
  default?: () => V
}

/** Where a write outside an agent goes: tasks, timers and tests must say. */
export interface WriteOptions {
  partition?: number
}

/** Window options, in ms. */
export interface WindowOptions {
  /** Windows older than that are dropped from the store (and, without `grace`, `onWindowClose` fires then). */
  expires?: number
  /**
   * Grace period for late events (Kafka Streams' `ofSizeAndGrace`): a window closes when the partition's stream time
   * (the largest event time seen) reaches its end + grace; its final result goes to `onWindowClose` and
   * `finalResults`, and later events for it are dropped (`lateDropped`, `faustus:late`). 0: close at the end.
   * Default: none (Faust: late events update their window until it expires).
   */
  grace?: number
}

/** Session window options, in ms. */
export interface SessionOptions<V> extends WindowOptions {
  /** The value of a session that an event bridging two sessions makes of theirs (Kafka Streams' Merger). */
  merge: (earlier: V, later: V) => V
}

/** Counters of a table, for logs, metrics and tests. */
export interface CollectionStats {
  /** Changelog records applied from standbys and recovery. */
  applied: number
  /** Changelog records that could not be decoded: logged with their offset and skipped. */
  corrupt: number
  /** Changelog records this worker wrote. */
  written: number
  /** Changelog records read by recovery (active partitions). */
  recovered: number
  /** Writes kept in the event's partition although the key hashes to another one (`keyPartitionCheck: 'warn'`). */
  keyPartitionMismatches: number
}
