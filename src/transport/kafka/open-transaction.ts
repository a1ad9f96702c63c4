/**
 * The transactions of one transactional producer, as the transaction coordinator sees them: the open transaction
 * (begun by the first send after a commit or abort), the partitions and the consumer group that joined it, and the
 * requests that end it. The records themselves go out as our own Produce requests (idempotent-sender.ts).
 *
 * Partitions join once per transaction (AddPartitionsToTxn for new ones only). The group's AddOffsetsToTxn follows
 * the first partitions at once, while the records are written, so the commit needs only TxnOffsetCommit and EndTxn.
 * Requests to the transaction coordinator go one at a time: it refuses a second while one is under way
 * (CONCURRENT_TRANSACTIONS).
 */
import type { Consumer as LibraryConsumer, Producer as LibraryProducer } from '@platformatic/kafka'
import type { GroupMetadata, TopicPartitionOffset } from '../types.ts'
import { toTransportError, withRetries } from './errors.ts'
import { isRetriable } from './faults.ts'
import type { KafkaConfig } from './options.ts'
import { partitionMetadata } from './partitioning.ts'
import type { Message } from './produce-requests.ts'
import { beginTransaction, fencedError, isFencing, txnOffsetCommit } from './transactions.ts'

/** The library's transaction object (not exported by name). */
type Transaction = Awaited<ReturnType<LibraryProducer['beginTransaction']>>

export interface TransactionsOptions {
  transactionalId: string
  /** Aborted when the producer closes: retries give up. */
  signal: AbortSignal
  /** How long a request adding to the open transaction is retried before it fails (and the transaction aborts). */
  retryDeadlineMs: number
}

export class Transactions {
  readonly #config: KafkaConfig
  readonly #client: LibraryProducer
  readonly #options: TransactionsOptions
  #transaction: Promise<Transaction> | undefined
  /** Partitions added to the open transaction, per topic (indexed by partition). */
  #partitions = new Map<string, boolean[]>()
  /** The group's AddOffsetsToTxn for the open transaction, once sent. */
  #offsetsAdded: Promise<void> | undefined
  /** The consumer group whose offsets the transactions carry (known from the first `sendOffsets`). */
  #groupId: string | undefined
  /** Settles when the last request to the transaction coordinator did. */
  #coordinatorIdle: Promise<unknown> = Promise.resolve()

  constructor(config: KafkaConfig, client: LibraryProducer, options: TransactionsOptions) {
    this.#config = config
    this.#client = client
    this.#options = options
  }

  /** Whether a transaction is open (begun, or beginning). */
  get open(): boolean {
    return this.#transaction !== undefined
  }

  /**
   * Adds the partitions of `messages` not yet in the open transaction (beginning it if none is open), with the
   * partition counts of their topics.
   */
  async addPartitions(counts: Map<string, number>, messages: Message[]): Promise<void> {
    const transaction = await this.#current()
    const added: { topic: string; partition: number }[] = []
    // Every message is looked at (a request's records may spread over all partitions), so without a string key.
    let topic: string | undefined
    let joined: boolean[] = []
    for (const message of messages) {
      if (message.topic !== topic) {
        topic = message.topic
        joined = this.#partitions.get(topic) ?? []
        this.#partitions.set(topic, joined)
      }
      const partition = message.partition!
      if (joined[partition]) continue
      joined[partition] = true
      added.push({ topic, partition })
    }
    if (added.length === 0) return
    try {
      const add = () => transaction.addPartitions(partitionMetadata(counts), added as never)
      await this.#toCoordinator(() => this.#retried('adding partitions to the transaction', add))
    } catch (error) {
      for (const { topic, partition } of added) this.#partitions.get(topic)![partition] = false
      throw this.#error('adding partitions to the transaction', error)
    }
    if (this.#offsetsAdded === undefined && this.#groupId !== undefined) this.#addOffsets(transaction, this.#groupId)
  }

  /**
   * AddOffsetsToTxn (the library needs only the group id of a consumer), then our own TxnOffsetCommit with the group
   * metadata of our own membership: the coordinator refuses a stale generation (KIP-447). With no offsets only the
   * first: the transaction's end then clears offsets this producer id left pending.
   */
  async sendOffsets(offsets: TopicPartitionOffset[], group: GroupMetadata): Promise<void> {
    const transaction = await this.#current()
    try {
      this.#groupId = group.groupId
      await (this.#offsetsAdded ?? this.#addOffsets(transaction, group.groupId))
      if (offsets.length > 0) {
        await txnOffsetCommit(this.#config, this.#client, this.#options.transactionalId, offsets, group)
      }
    } catch (error) {
      throw this.#error('sending offsets to the transaction', error)
    }
  }

  /**
   * Ends the open transaction, if any: commits it (unless `failure`, a failed send of its records, is given: that
   * is thrown instead) or aborts it. The next send begins a new one.
   */
  async end(commit: boolean, failure?: unknown): Promise<void> {
    const opening = this.#transaction
    this.#transaction = undefined
    if (opening === undefined) return
    const transaction = await opening.catch(() => undefined)
    if (transaction === undefined) return
    if (commit && failure !== undefined) throw failure
    try {
      await this.#toCoordinator(() => (commit ? transaction.commit() : transaction.abort()))
    } catch (error) {
      // A transaction that could not end is abandoned: the broker aborts it after its timeout.
      await transaction.cancel().catch(() => {})
      throw this.#error(commit ? 'committing the transaction' : 'aborting the transaction', error)
    }
  }

  #current(): Promise<Transaction> {
    if (this.#transaction !== undefined) return this.#transaction
    this.#partitions = new Map()
    this.#offsetsAdded = undefined
    // Producer id and epoch -1: a new producer for the id (the library's default 0/0 asks to bump an epoch that
    // is not ours, which the coordinator refuses as fenced when another producer used the id before).
    this.#transaction = beginTransaction(this.#config, this.#client, this.#options.signal).catch((error) => {
      this.#transaction = undefined
      throw this.#error('beginning a transaction', error)
    })
    return this.#transaction
  }

  /** AddOffsetsToTxn for `groupId`, once per transaction; a failure is thrown by `sendOffsets` (failing the commit). */
  #addOffsets(transaction: Transaction, groupId: string): Promise<void> {
    const add = () => transaction.addConsumer({ groupId } as unknown as LibraryConsumer)
    this.#offsetsAdded = this.#toCoordinator(() => this.#retried('adding offsets to the transaction', add))
    this.#offsetsAdded.catch(() => {})
    return this.#offsetsAdded
  }

  /**
   * A request adding to the open transaction, retried (past the library's few retries) while the coordinator is
   * busy, up to the retry deadline: CONCURRENT_TRANSACTIONS lasts while it writes the previous transaction's
   * markers, which a loaded broker may take longer for than the library's retries wait.
   */
  #retried<T>(what: string, request: () => Promise<T>): Promise<T> {
    return withRetries(this.#config, what, request, {
      signal: this.#options.signal,
      deadlineMs: this.#options.retryDeadlineMs,
      retriable: (error) => !isFencing(error) && isRetriable(error),
    })
  }

  /** Runs `request` to the transaction coordinator once the previous one settled. */
  #toCoordinator<T>(request: () => Promise<T>): Promise<T> {
    const result = this.#coordinatorIdle.then(request)
    this.#coordinatorIdle = result.catch(() => {})
    return result
  }

  #error(what: string, error: unknown): Error {
    if (isFencing(error)) return fencedError(this.#options.transactionalId, what, error)
    return toTransportError(this.#config, what, error)
  }
}
