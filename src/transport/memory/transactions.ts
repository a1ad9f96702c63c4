/**
 * Transactions of the memory broker, with Kafka's semantics (KIP-98, and KIP-447's group-generation fencing):
 * records written in a transaction are invisible to `read_committed` readers until it commits and forever if it
 * aborts; offsets sent to it are committed to the group with the records, and refused when the member's group
 * generation is stale; a new producer with the same transactional id aborts the old one's open transaction and
 * fences it.
 */
import { TransportError } from '../../errors.ts'
import type {
  GroupMetadata,
  ProduceRecord,
  RecordMetadata,
  TopicPartitionOffset,
  TransactionalProducer,
  TransactionalProducerOptions,
} from '../types.ts'
import type { MemoryBroker } from './broker.ts'
import type { PartitionLog } from './log.ts'
import { MemoryProducer } from './producer.ts'

class MemoryTransaction {
  /** Offsets written per partition log. */
  readonly writes = new Map<PartitionLog, number[]>()
  readonly offsets = new Map<string, { group: GroupMetadata; offsets: TopicPartitionOffset[] }>()
}

/** Transactional ids and the epoch of the producer currently owning each. */
export class TransactionCoordinator {
  readonly #owners = new Map<string, { epoch: number; fence: () => void }>()

  /** Registers a producer for `id`, fencing (and aborting) the previous one; returns its epoch. */
  register(id: string, fence: () => void): number {
    const previous = this.#owners.get(id)
    previous?.fence()
    const epoch = (previous?.epoch ?? -1) + 1
    this.#owners.set(id, { epoch, fence })
    return epoch
  }

  isCurrent(id: string, epoch: number): boolean {
    return this.#owners.get(id)?.epoch === epoch
  }
}

export class MemoryTransactionalProducer implements TransactionalProducer {
  readonly #broker: MemoryBroker
  readonly #id: string
  readonly #epoch: number
  readonly #producer: MemoryProducer
  #open: MemoryTransaction | undefined
  /** Set while a commit runs: sends wait for it and go into the next transaction. */
  #ending: Promise<void> | undefined
  #fenced = false

  constructor(broker: MemoryBroker, options: TransactionalProducerOptions) {
    this.#broker = broker
    this.#id = options.transactionalId
    this.#epoch = broker.transactions.register(this.#id, () => {
      // A newer producer took the id over: what this one had open is aborted, and it may do nothing more.
      this.#end(false)
      this.#fenced = true
    })
    this.#producer = new MemoryProducer(broker, {
      current: () => {
        this.#checkFenced()
        this.#open ??= new MemoryTransaction()
        return this.#open
      },
      wrote: (log, offset) => {
        const transaction = this.#open!
        const offsets = transaction.writes.get(log)
        if (offsets) offsets.push(offset)
        else transaction.writes.set(log, [offset])
      },
    })
  }

  send(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    // A transaction being committed is sealed: this send goes into the next one.
    const ending = this.#ending
    if (ending !== undefined) return ending.then(() => this.send(records))
    return this.#producer.send(records)
  }

  flush(): Promise<void> {
    return this.#producer.flush()
  }

  async sendOffsets(offsets: TopicPartitionOffset[], group: GroupMetadata): Promise<void> {
    this.#checkFenced()
    if (!this.#broker.group(group.groupId).acceptsGeneration(group)) {
      throw new TransportError(
        'FST_PRODUCER_FENCED',
        `group "${group.groupId}" refused offsets of member ${group.memberId} of generation ${group.generationId}: ` +
          'a rebalance gave its partitions to others',
        { details: { ...group } },
      )
    }
    this.#open ??= new MemoryTransaction()
    const entry = this.#open.offsets.get(group.groupId)
    if (entry) entry.offsets.push(...offsets)
    else this.#open.offsets.set(group.groupId, { group, offsets: [...offsets] })
  }

  async commit(): Promise<void> {
    let ended!: () => void
    const ending = new Promise<void>((resolve) => {
      ended = resolve
    })
    this.#ending = ending
    try {
      await this.#commit()
    } finally {
      if (this.#ending === ending) this.#ending = undefined
      ended()
    }
  }

  async #commit(): Promise<void> {
    await this.#producer.flush()
    this.#checkFenced()
    const transaction = this.#open
    if (transaction === undefined) return
    // The group must still accept the offsets when the transaction ends (a rebalance may have fenced it since).
    for (const { group } of transaction.offsets.values()) {
      if (!this.#broker.group(group.groupId).acceptsGeneration(group)) {
        this.#end(false)
        throw new TransportError('FST_PRODUCER_FENCED', `group "${group.groupId}" moved to a new generation`, {
          details: { ...group },
        })
      }
    }
    this.#end(true)
  }

  async abort(): Promise<void> {
    await this.#producer.flush().catch(() => {})
    if (!this.#fenced) this.#end(false)
  }

  async close(): Promise<void> {
    if (!this.#fenced && this.#broker.transactions.isCurrent(this.#id, this.#epoch)) this.#end(false)
    await this.#producer.close()
  }

  #end(committed: boolean): void {
    const transaction = this.#open
    this.#open = undefined
    if (transaction === undefined) return
    if (committed) {
      for (const { group, offsets } of transaction.offsets.values()) this.#broker.group(group.groupId).commit(offsets)
    }
    for (const [log, offsets] of transaction.writes) log.endTransaction(transaction, committed, offsets)
  }

  #checkFenced(): void {
    if (this.#fenced || !this.#broker.transactions.isCurrent(this.#id, this.#epoch)) {
      this.#fenced = true
      throw new TransportError(
        'FST_PRODUCER_FENCED',
        `producer of transactional id "${this.#id}" was fenced by a newer one`,
        { details: { transactionalId: this.#id } },
      )
    }
  }
}
