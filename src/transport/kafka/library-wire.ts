/**
 * The wire of the idempotent sender (idempotent-sender.ts) over a producer of the client library: its
 * InitProducerId, its metadata for partition leaders, its connections and its Produce API (uncompressed requests
 * are encoded by produce-encoding.ts and only sent and parsed by the library).
 */
import * as library from '@platformatic/kafka'
import { type Producer as LibraryProducer, ProduceAcks, type ProduceResult } from '@platformatic/kafka'
import type { PartitionBatch, SenderWire } from './idempotent-sender.ts'
import type { KafkaConfig } from './options.ts'
import { encodable, encodeProduceRequest, producePayload } from './produce-encoding.ts'
import type { Message } from './produce-requests.ts'
import { kafkaApi } from './transactions.ts'

type ParseResponse = (...args: unknown[]) => unknown
type Connection = {
  send(
    apiKey: number,
    apiVersion: number,
    createPayload: () => unknown,
    parse: ParseResponse,
    requestTags: boolean,
    responseTags: boolean,
    callback: (error: Error | null, result: unknown) => void,
  ): void
}

/** The library's response parser of Produce `version` (3 to 11), if it has one. */
function produceParser(version: number): ParseResponse | undefined {
  const api = (library as unknown as Record<string, { parseResponse?: ParseResponse } | undefined>)[
    `produceV${version}`
  ]
  return api?.parseResponse
}

/**
 * Sends `batches` as one Produce request encoded by produce-encoding.ts (one buffer), parsed by the library;
 * undefined when the lean encoder does not cover it (another version, or records it does not write).
 */
function sendEncoded(
  config: KafkaConfig,
  connection: Connection,
  version: number,
  batches: PartitionBatch[],
  transactionalId: string | undefined,
): Promise<ProduceResult> | undefined {
  const parse = version >= 3 && version <= 11 ? produceParser(version) : undefined
  if (parse === undefined || !batches.every((b) => encodable(b.messages))) return undefined
  const body = encodeProduceRequest(
    batches.map((b) => ({
      topic: b.topic,
      partition: b.partition,
      messages: b.messages,
      producerId: b.session.id,
      producerEpoch: b.session.epoch,
      firstSequence: b.sequence,
    })),
    { version, acks: ProduceAcks.ALL, timeoutMs: config.requestTimeoutMs, transactionalId },
  )
  const flexible = version >= 9
  return new Promise((resolve, reject) => {
    connection.send(
      0,
      version,
      () => producePayload(body),
      parse,
      flexible,
      flexible,
      (error, result) => (error ? reject(error) : resolve(result as ProduceResult)),
    )
  })
}

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
      if (options.compression === 'none') {
        const { version } = produce as unknown as { version: number }
        const sent = sendEncoded(config, connection as unknown as Connection, version, batches, transactionalId)
        if (sent !== undefined) return sent
      }
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
