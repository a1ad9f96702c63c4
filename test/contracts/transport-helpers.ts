/**
 * Helpers of the transport contract suite: unique names (the suite may share a real broker), the wait budget per
 * transport (waits go through test/helpers.ts), and a recording consumer handler.
 */
import { randomUUID } from 'node:crypto'
import type {
  Assignment,
  ConsumedRecord,
  Consumer,
  ConsumerHandler,
  ConsumerOptions,
  Producer,
  RecordMetadata,
  TopicPartition,
  TopicPartitionOffset,
  TransactionalProducer,
  Transport,
} from '../../src/transport/types.ts'
import { tpKey } from '../../src/transport/types.ts'

/** What the contract's test files share: the transport under test and helpers that clean up after each test. */
export interface ContractContext {
  transport(): Transport
  wait: WaitOptions
  /** Creates a topic with a unique name (deleted after the suite). */
  topic(partitions: number, prefix?: string): Promise<string>
  /** A producer closed after the test. */
  producer(): Producer
  /** A consumer whose handler is `recorder`, closed after the test. */
  consumer(recorder: Recorder, options: Omit<ConsumerOptions, 'handler'>): Consumer
  sendValues(producer: Producer, topic: string, partition: number, values: string[]): Promise<RecordMetadata[]>
  /** A transactional producer closed after the test. */
  transactional(transactionalId: string): TransactionalProducer
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`
}

/** How long the contract's waits (`waitFor` of test/helpers.ts) may take on the transport under test. */
export interface WaitOptions {
  timeoutMs: number
}

/** Records everything a consumer is given; optionally commits what it processed when partitions are revoked. */
export class Recorder implements ConsumerHandler {
  readonly records: ConsumedRecord[] = []
  readonly assigned: Assignment[] = []
  readonly revoked: TopicPartition[][] = []
  readonly batches: number[] = []
  consumer: Consumer | null = null
  /** Next offset to read per partition, from what was processed. */
  readonly next = new Map<string, TopicPartitionOffset>()
  #active = 0
  maxConcurrent = 0

  constructor(readonly options: { commitOnRevoke?: boolean; delayMs?: number } = {}) {}

  onAssigned(assignment: Assignment): void {
    this.assigned.push(assignment)
  }

  async onRevoked(partitions: TopicPartition[]): Promise<void> {
    this.revoked.push(partitions)
    if (!this.options.commitOnRevoke || this.consumer === null) return
    const offsets = partitions.map((tp) => this.next.get(tpKey(tp))).filter((o) => o !== undefined)
    if (offsets.length > 0) await this.consumer.commit(offsets)
  }

  async onRecords(records: ConsumedRecord[]): Promise<void> {
    this.#active++
    this.maxConcurrent = Math.max(this.maxConcurrent, this.#active)
    try {
      if (this.options.delayMs) await new Promise((resolve) => setTimeout(resolve, this.options.delayMs))
      this.batches.push(records.length)
      for (const r of records) {
        this.records.push(r)
        this.next.set(tpKey(r), { topic: r.topic, partition: r.partition, offset: r.offset + 1 })
      }
    } finally {
      this.#active--
    }
  }

  values(): string[] {
    return this.records.map((r) => r.value?.toString() ?? '<null>')
  }

  from(topic: string, partition?: number): ConsumedRecord[] {
    return this.records.filter((r) => r.topic === topic && (partition === undefined || r.partition === partition))
  }
}

/** Partition numbers of `topic` in a list, ascending. */
export function partitionsOf(tps: readonly TopicPartition[], topic: string): number[] {
  return tps
    .filter((tp) => tp.topic === topic)
    .map((tp) => tp.partition)
    .sort((a, b) => a - b)
}
