/**
 * The wire of the idempotent sender (idempotent-sender.ts) over a producer of the client library: its
 * InitProducerId, its metadata for partition leaders, its connections and its Produce API.
 */
import { type Producer as LibraryProducer, ProduceAcks } from '@platformatic/kafka'
import type { SenderWire } from './idempotent-sender.ts'
import type { KafkaConfig } from './options.ts'
import type { Message } from './produce-requests.ts'
import { kafkaApi } from './transactions.ts'

/** The wire of a library producer: its InitProducerId, metadata, connections and Produce API. */
export function libraryWire(
  config: KafkaConfig,
  client: LibraryProducer,
  options: { compression: string; transactionalId?: string },
): SenderWire {
  const { transactionalId } = options
  return {
    async initProducerId() {
      // A transactional producer's id and epoch: the library's, from the InitProducerId of its first transaction.
      if (transactionalId !== undefined) return { producerId: client.producerId!, producerEpoch: client.producerEpoch! }
      const bootstrap = await client.connections.getFirstAvailable(config.brokers)
      const init = await kafkaApi(client, 'InitProducerId')
      // No transactional id; producer id and epoch -1: a new producer id.
      return init.async(bootstrap, null, config.requestTimeoutMs, -1n, -1)
    },
    async leaders(topics, refresh) {
      if (refresh) client.clearMetadata()
      const metadata = await client.metadata({ topics })
      const leaders = new Map<string, { host: string; port: number }>()
      for (const topic of topics) {
        const partitions = metadata.topics.get(topic)?.partitions ?? []
        partitions.forEach((p, index) => {
          const broker = metadata.brokers.get(p.leader)
          if (broker !== undefined) leaders.set(`${topic}:${index}`, { host: broker.host, port: broker.port })
        })
      }
      return leaders
    },
    async send(leader, batches) {
      const connection = await client.connections.get(leader)
      const produce = await kafkaApi(client, 'Produce')
      const sequences = new Map(batches.map((b) => [`${b.topic}:${b.partition}`, b.sequence])) as Map<
        string,
        number
      > & {
        getWithDefault(key: string, fallback: number): number
      }
      sequences.getWithDefault = (key, fallback) => sequences.get(key) ?? fallback
      // The messages themselves, not copies: the library encodes absent headers as none (and only sets a timestamp,
      // which ours already have).
      const messages: Message[] = []
      for (const b of batches) for (const m of b.messages) messages.push(m)
      const { id, epoch } = batches[0].session
      return produce.async(connection, ProduceAcks.ALL, config.requestTimeoutMs, messages, {
        producerId: id,
        producerEpoch: epoch,
        sequences,
        compression: options.compression,
        transactionalId,
      })
    },
  }
}
