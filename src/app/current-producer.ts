import { FaustusError } from '../errors.ts'
import type {
  GroupMetadata,
  ProduceRecord,
  Producer,
  RecordMetadata,
  TopicPartitionOffset,
  TransactionalProducer,
} from '../transport/types.ts'

/**
 * The one owner of the app's producer. Outputs, the tables' changelog writer, topic sends, dead letters and the
 * exactly-once checkpoint all hold this object, never the driver's producer, so that replacing it (`renew`, after a
 * failed transaction left it unusable: broken sequence numbers, an epoch the coordinator bumped) reaches every one
 * of them at once.
 */
export class CurrentProducer implements TransactionalProducer {
  readonly #create: () => Producer | TransactionalProducer
  #current: Producer | TransactionalProducer
  /** Producers replaced so far (for metrics and tests). */
  renewals = 0

  constructor(
    create: () => Producer | TransactionalProducer,
    readonly transactional: boolean,
  ) {
    this.#create = create
    this.#current = create()
  }

  send(records: ProduceRecord[]): Promise<RecordMetadata[]> {
    return this.#current.send(records)
  }

  flush(): Promise<void> {
    return this.#current.flush()
  }

  close(): Promise<void> {
    return this.#current.close()
  }

  sendOffsets(offsets: TopicPartitionOffset[], group: GroupMetadata): Promise<void> {
    return this.#transactions().sendOffsets(offsets, group)
  }

  commit(): Promise<void> {
    return this.#transactions().commit()
  }

  abort(): Promise<void> {
    return this.#transactions().abort()
  }

  /**
   * Replaces the producer with a new one (for a transactional producer: the same transactional id, so its first
   * transaction's InitProducerId bumps the epoch, fencing the old one and aborting anything it left open). Returns
   * the old one, for the caller to close: it should have nothing in flight (abort it first).
   */
  renew(): Producer {
    const old = this.#current
    this.#current = this.#create()
    this.renewals++
    return old
  }

  #transactions(): TransactionalProducer {
    if (!this.transactional) throw new FaustusError('FST_TRANSPORT', 'the producer is not transactional')
    return this.#current as TransactionalProducer
  }
}
