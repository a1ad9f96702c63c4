/**
 * Transaction helpers of the Kafka producer: the TxnOffsetCommit request with our own group membership's metadata
 * (the library's helper wants one of its consumers' messages), and which errors mean this producer is a zombie.
 */
import { FindCoordinatorKeyTypes, kGetApi, type Producer as LibraryProducer } from '@platformatic/kafka'
import { TransportError } from '../../errors.ts'
import type { GroupMetadata, TopicPartitionOffset } from '../types.ts'
import { describeError, hasKafkaError } from './errors.ts'
import type { KafkaConfig } from './options.ts'

/** Errors after which this producer's transaction can never commit: another producer or generation took over. */
const FENCING = [
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'FENCED_INSTANCE_ID',
  'REBALANCE_IN_PROGRESS',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
]

export function isFencing(error: unknown): boolean {
  return FENCING.some((id) => hasKafkaError(error, id))
}

export function fencedError(transactionalId: string, what: string, cause: unknown): TransportError {
  return new TransportError(
    'FST_PRODUCER_FENCED',
    `${what} failed: transactional producer "${transactionalId}" was fenced (${describeError(cause)})`,
    { cause, details: { transactionalId } },
  )
}

type Api = { async(connection: unknown, ...args: unknown[]): Promise<any> }

function api(client: LibraryProducer, name: string): Promise<Api> {
  return new Promise((resolve, reject) => {
    ;(client as any)[kGetApi](name, (error: Error | null, found: Api) => (error ? reject(error) : resolve(found)))
  })
}

/** TxnOffsetCommit to the group's coordinator, with the member's generation: refused for a zombie (KIP-447). */
export async function txnOffsetCommit(
  config: KafkaConfig,
  client: LibraryProducer,
  transactionalId: string,
  offsets: TopicPartitionOffset[],
  group: GroupMetadata,
): Promise<void> {
  const bootstrap = await client.connections.getFirstAvailable(config.brokers)
  const findCoordinator = await api(client, 'FindCoordinator')
  const found = await findCoordinator.async(bootstrap, FindCoordinatorKeyTypes.GROUP, [group.groupId])
  const coordinator = found.coordinators.find((c: { key: string }) => c.key === group.groupId) ?? found.coordinators[0]
  const connection = await client.connections.get({ host: coordinator.host, port: coordinator.port })
  const topics = new Map<string, { name: string; partitions: unknown[] }>()
  for (const { topic, partition, offset } of offsets) {
    let entry = topics.get(topic)
    if (!entry) topics.set(topic, (entry = { name: topic, partitions: [] }))
    entry.partitions.push({
      partitionIndex: partition,
      committedOffset: BigInt(offset),
      committedLeaderEpoch: -1,
      committedMetadata: null,
    })
  }
  const commit = await api(client, 'TxnOffsetCommit')
  await commit.async(
    connection,
    transactionalId,
    group.groupId,
    client.producerId,
    client.producerEpoch,
    group.generationId,
    group.memberId,
    null,
    [...topics.values()],
  )
}
