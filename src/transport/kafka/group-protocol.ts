import { Reader, Writer } from '@platformatic/kafka'
import type { TopicPartition } from '../types.ts'

/**
 * The consumer protocol payloads carried opaquely by JoinGroup (subscription) and SyncGroup (assignment).
 *
 * Faust (through kafka-python/aiokafka) writes them with the version-0 field layout but puts its assignor's version
 * (4) in the version field. The library's own encoders clamp the version to 3 and then expect the v1+ fields, so they
 * cannot read a Faust member; these read the v0 fields and ignore anything after them (owned partitions,
 * generation, rack of newer Java clients), and write exactly what Faust writes.
 */

export interface Subscription {
  version: number
  topics: string[]
  userData: Buffer | null
}

export interface AssignmentPayload {
  version: number
  partitions: TopicPartition[]
  userData: Buffer | null
}

/*
  ConsumerProtocolSubscription (v0 layout) =>
    version   => INT16
    topics    => ARRAY(STRING)      INT32 count, then each: INT16 length + UTF-8 bytes
    user_data => BYTES              INT32 length (-1 = null) + bytes
    ... later fields of v1-v3 (owned_partitions, generation_id, rack_id) are not written and are ignored on read
*/
export function encodeSubscription(subscription: Subscription): Buffer {
  return Writer.create()
    .appendInt16(subscription.version)
    .appendArray([...subscription.topics].sort(), (w, topic) => w.appendString(topic, false), false, false)
    .appendBytes(subscription.userData, false).buffer
}

export function decodeSubscription(buffer: Buffer): Subscription {
  const reader = Reader.from(buffer)
  const version = reader.readInt16()
  const topics = reader.readArray((r) => r.readString(false), false, false)
  const userData = reader.remaining > 0 ? reader.readNullableBytes(false) : null
  return { version, topics, userData }
}

/*
  ConsumerProtocolAssignment (v0 layout) =>
    version             => INT16
    assigned_partitions => ARRAY(topic partitions)   INT32 count, then each:
      topic             => STRING                    INT16 length + UTF-8 bytes
      partitions        => ARRAY(INT32)              INT32 count, then INT32 each
    user_data           => BYTES                     INT32 length (-1 = null) + bytes
  Topics are written sorted by name (as Faust sorts its protocol assignment); partitions keep the order given.
  That order matters to a Python follower: it compares each topic's list with the actives then the changelog
  standbys of the assignment JSON, as lists (faust/assignor/partition_assignor.py, on_assignment), so the assignor
  passes them in that order (test/interop/assignor.test.ts checks it with Faust's own code).
*/
export function encodeAssignment(assignment: AssignmentPayload): Buffer {
  const byTopic = new Map<string, number[]>()
  for (const { topic, partition } of assignment.partitions) {
    let list = byTopic.get(topic)
    if (!list) byTopic.set(topic, (list = []))
    list.push(partition)
  }
  const topics = [...byTopic.keys()].sort()
  return Writer.create()
    .appendInt16(assignment.version)
    .appendArray(
      topics,
      (w, topic) => {
        const partitions = byTopic.get(topic)!
        w.appendString(topic, false).appendArray(partitions, (w2, p) => w2.appendInt32(p), false, false)
      },
      false,
      false,
    )
    .appendBytes(assignment.userData, false).buffer
}

export function decodeAssignment(buffer: Buffer | null | undefined): AssignmentPayload {
  // An empty SyncGroup assignment means "nothing for you" (e.g. a member the leader did not know yet).
  if (!buffer || buffer.length === 0) return { version: 0, partitions: [], userData: null }
  const reader = Reader.from(buffer)
  const version = reader.readInt16()
  const partitions: TopicPartition[] = []
  reader.readArray(
    (r) => {
      const topic = r.readString(false)
      for (const partition of r.readArray((r2) => r2.readInt32(), false, false)) partitions.push({ topic, partition })
    },
    false,
    false,
  )
  const userData = reader.remaining > 0 ? reader.readNullableBytes(false) : null
  return { version, partitions, userData }
}
