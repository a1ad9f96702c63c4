import type { ConsumedRecord, TopicPartition } from '../types.ts'

// The fetcher's bookkeeping: per assigned partition, per fetched response part and per broker.

/** Read state of one assigned partition. */
export interface PartitionState {
  tp: TopicPartition
  /** Next offset to hand to the handler; -1 until known. */
  position: number
  /** Next offset to request from the broker (ahead of `position` while a response waits for delivery). */
  fetchOffset: number
  /** Bumped by seek and resume: fetched data of an older epoch is stale and dropped. */
  epoch: number
  paused: boolean
  inFlight: boolean
}

export interface FetchedPart {
  state: PartitionState
  epoch: number
  records: ConsumedRecord[]
  nextOffset: number
}

export interface OutOfRange {
  state: PartitionState
  epoch: number
  from: number
  earliest: number
  latest: number
}

export interface NodeState {
  fetching: boolean
  /** Responses fetched from this node and not yet fully delivered (at most 2: one prefetch). */
  undelivered: number
}

export function newState(tp: TopicPartition): PartitionState {
  return {
    tp: { topic: tp.topic, partition: tp.partition },
    position: -1,
    fetchOffset: -1,
    epoch: 0,
    paused: false,
    inFlight: false,
  }
}
