/**
 * The memory transport (`memory://` or `memory://name`): the whole Transport contract in-process, the embedded
 * default. Transports of the same URL share one broker; `close()` closes only what this transport created.
 */
import { TransportError } from '../../errors.ts'
import type {
  Consumer,
  ConsumerOptions,
  IsolationLevel,
  PartitionOffsets,
  Producer,
  ProducerOptions,
  TopicDescription,
  TopicPartition,
  TopicSpec,
  TransactionalProducer,
  TransactionalProducerOptions,
  Transport,
} from '../types.ts'
import type { MemoryBroker, MemoryBrokerOptions } from './broker.ts'
import { type ConsumerErrorListener, MemoryConsumer } from './consumer.ts'
import { MemoryProducer } from './producer.ts'
import { type MemoryBrokerRegistry, memoryBrokers } from './registry.ts'
import { MemoryTransactionalProducer } from './transactions.ts'

export interface MemoryTransportOptions extends MemoryBrokerOptions {
  /** `memory://` (the default broker) or `memory://<name>`. */
  url?: string
  /** Use this broker, ignoring `url`. */
  broker?: MemoryBroker
  /** Where `url` names are looked up; default the process-wide `memoryBrokers`. */
  registry?: MemoryBrokerRegistry
  /** A consumer whose handler threw (after `start` resolved); default: an unhandled rejection. */
  onConsumerError?: ConsumerErrorListener
}

export class MemoryTransport implements Transport {
  readonly kind = 'memory'
  readonly broker: MemoryBroker
  readonly #producers = new Set<Producer>()
  readonly #consumers = new Set<MemoryConsumer>()
  readonly #onConsumerError: ConsumerErrorListener | undefined

  constructor(options: MemoryTransportOptions = {}) {
    this.#onConsumerError = options.onConsumerError
    if (options.broker) {
      this.broker = options.broker
    } else {
      const registry = options.registry ?? memoryBrokers
      this.broker = registry.get(memoryBrokerName(options.url ?? 'memory://'), options)
    }
  }

  async connect(): Promise<void> {}

  async close(): Promise<void> {
    const consumers = [...this.#consumers]
    const producers = [...this.#producers]
    this.#consumers.clear()
    this.#producers.clear()
    await Promise.all([...consumers.map((c) => c.close()), ...producers.map((p) => p.close())])
  }

  async ensureTopics(specs: TopicSpec[]): Promise<void> {
    this.broker.ensureTopics(specs)
  }

  async describeTopics(names: string[]): Promise<Map<string, TopicDescription>> {
    return this.broker.describeTopics(names)
  }

  async deleteTopics(names: string[]): Promise<void> {
    this.broker.deleteTopics(names)
  }

  async listOffsets(
    partitions: TopicPartition[],
    options: { isolationLevel?: IsolationLevel } = {},
  ): Promise<PartitionOffsets[]> {
    return this.broker.listOffsets(partitions, options.isolationLevel !== 'read_uncommitted')
  }

  async resetGroup(groupId: string): Promise<string[]> {
    const group = this.broker.group(groupId)
    if (group.active) {
      throw new TransportError('FST_GROUP_ACTIVE', `consumer group "${groupId}" has running members: stop them first`, {
        details: { groupId },
      })
    }
    return group.forgetOffsets()
  }

  createProducer(_options?: ProducerOptions): Producer {
    // Batching, compression and transactions have nothing to do in-process: every send is appended at once.
    const producer = new MemoryProducer(this.broker)
    this.#producers.add(producer)
    return producer
  }

  createTransactionalProducer(options: TransactionalProducerOptions): TransactionalProducer {
    const producer = new MemoryTransactionalProducer(this.broker, options)
    this.#producers.add(producer)
    return producer
  }

  createConsumer(options: ConsumerOptions): Consumer {
    const consumer = new MemoryConsumer(this.broker, options, this.#onConsumerError)
    this.#consumers.add(consumer)
    return consumer
  }
}

/** The broker name of a memory URL: `memory://` -> '', `memory://app-a` -> 'app-a'. */
export function memoryBrokerName(url: string): string {
  const match = /^memory:(?:\/\/)?([^/?#]*)\/?$/.exec(url)
  if (!match) {
    throw new TransportError('FST_BROKER_URL_INVALID', `not a memory broker URL: "${url}"`, { details: { url } })
  }
  return match[1]
}
