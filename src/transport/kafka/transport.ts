/**
 * The Kafka transport (`kafka://host:port[,host:port]`) on `@platformatic/kafka`: admin, producers and consumers
 * (see each module). `connect()` waits for a broker until the connect deadline, logging each retry, then fails with
 * FST_BROKER_UNAVAILABLE naming the address; `close()` closes everything this transport created.
 */
import type {
  Consumer,
  ConsumerOptions,
  IsolationLevel,
  PartitionOffsets,
  Producer,
  TopicDescription,
  TopicPartition,
  TopicSpec,
  TransactionalProducer,
  TransactionalProducerOptions,
  Transport,
} from '../types.ts'
import { KafkaAdmin } from './admin.ts'
import { KafkaConsumer } from './consumer.ts'
import type { RetryStats } from './faults.ts'
import { type KafkaConfig, type KafkaTransportOptions, resolveConfig } from './options.ts'
import { KafkaProducer, type KafkaProducerOptions } from './producer.ts'
import { parseKafkaUrl } from './url.ts'

export class KafkaTransport implements Transport {
  readonly kind = 'kafka'
  readonly #config: KafkaConfig
  readonly #onConsumerError: ((error: unknown) => void) | undefined
  #admin: KafkaAdmin | undefined
  readonly #producers = new Set<KafkaProducer>()
  readonly #consumers = new Set<KafkaConsumer>()

  constructor(options: KafkaTransportOptions) {
    this.#config = resolveConfig(parseKafkaUrl(options.url), options)
    this.#onConsumerError = options.onConsumerError
  }

  /** Retries of every client of this transport, by error and operation (each also published on RETRY_CHANNEL). */
  get retryStats(): RetryStats {
    return this.#config.faults.stats
  }

  /** `host:port,...` of the bootstrap brokers. */
  get address(): string {
    return this.#config.address
  }

  async connect(): Promise<void> {
    await this.#adminClient().connect()
  }

  async close(): Promise<void> {
    const consumers = [...this.#consumers]
    const producers = [...this.#producers]
    this.#consumers.clear()
    this.#producers.clear()
    await Promise.allSettled([...consumers.map((c) => c.close()), ...producers.map((p) => p.close())])
    await this.#admin?.close()
    this.#admin = undefined
  }

  ensureTopics(specs: TopicSpec[]): Promise<void> {
    return this.#adminClient().ensureTopics(specs)
  }

  describeTopics(names: string[]): Promise<Map<string, TopicDescription>> {
    return this.#adminClient().describeTopics(names)
  }

  resetGroup(groupId: string): Promise<string[]> {
    return this.#adminClient().resetGroup(groupId)
  }

  deleteTopics(names: string[]): Promise<void> {
    return this.#adminClient().deleteTopics(names)
  }

  listOffsets(
    partitions: TopicPartition[],
    options: { isolationLevel?: IsolationLevel } = {},
  ): Promise<PartitionOffsets[]> {
    return this.#adminClient().listOffsets(partitions, options.isolationLevel)
  }

  createTransactionalProducer(options: TransactionalProducerOptions): TransactionalProducer {
    return this.createProducer(options) as KafkaProducer
  }

  createProducer(options: KafkaProducerOptions = {}): Producer {
    const defaults = this.#config.producer
    const merged: KafkaProducerOptions = { ...stripUndefined(defaults), ...stripUndefined(options) }
    const producer = new KafkaProducer(this.#config, merged)
    this.#producers.add(producer)
    return producer
  }

  createConsumer(options: ConsumerOptions): Consumer {
    const consumer = new KafkaConsumer(this.#config, options, this.#onConsumerError)
    this.#consumers.add(consumer)
    return consumer
  }

  #adminClient(): KafkaAdmin {
    this.#admin ??= new KafkaAdmin(this.#config)
    return this.#admin
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}
