/**
 * Transaction and produce-error helpers of the Kafka producer: the TxnOffsetCommit request with our own group
 * membership's metadata (the library's helper wants one of its consumers' messages), which errors mean this
 * producer is a zombie, and which mean the broker refuses the records themselves.
 */
import { FindCoordinatorKeyTypes, kGetApi, type Producer as LibraryProducer } from '@platformatic/kafka'
import { TransportError } from '../../errors.ts'
import type { GroupMetadata, TopicPartitionOffset } from '../types.ts'
import { offsetCommitTopics } from './client.ts'
import { describeError, hasKafkaError, toTransportError, withRetries } from './errors.ts'
import { isRetriable } from './faults.ts'
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

/** Errors the broker repeats for these records whatever we do: the records, not the broker, are the problem. */
const REFUSALS = [
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'TOPIC_AUTHORIZATION_FAILED',
  'INVALID_TOPIC_EXCEPTION',
  'POLICY_VIOLATION',
]

/** A failed produce as a typed error: fenced (transactional), refused (FST_OUTPUT_REFUSED), or a transport error. */
export function produceError(config: KafkaConfig, transactionalId: string | undefined, error: unknown): TransportError {
  if (transactionalId !== undefined && isFencing(error)) return fencedError(transactionalId, 'producing', error)
  if (REFUSALS.some((id) => hasKafkaError(error, id))) {
    return new TransportError('FST_OUTPUT_REFUSED', `the broker refused the records: ${describeError(error)}`, {
      cause: error,
    })
  }
  return toTransportError(config, 'producing', error)
}

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

/**
 * Begins a transaction (InitProducerId the first time). Retriable failures (the transaction coordinator still loading
 * or moving: NOT_COORDINATOR on a fresh broker while __transaction_state is created) are retried for as long as it
 * takes, as other calls are; fencing is not retriable.
 */
export function beginTransaction(
  config: KafkaConfig,
  client: LibraryProducer,
  signal: AbortSignal,
): Promise<Awaited<ReturnType<LibraryProducer['beginTransaction']>>> {
  const begin = async () => {
    try {
      return await client.beginTransaction({ producerId: -1n, producerEpoch: -1 })
    } catch (error) {
      // The library keeps a transaction that failed to begin: dropped, so that the retry can begin one.
      await client.transaction?.cancel().catch(() => {})
      throw error
    }
  }
  return withRetries(config, 'beginning a transaction', begin, {
    signal,
    retriable: (error) => !isFencing(error) && isRetriable(error),
  })
}

type Api = { async(connection: unknown, ...args: unknown[]): Promise<any> }

/** A Kafka API of the library by name (its version negotiated with the brokers). */
export function kafkaApi(client: LibraryProducer, name: string): Promise<Api> {
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
  let coordinator = coordinators.get(client)
  if (coordinator?.groupId !== group.groupId) {
    const bootstrap = await client.connections.getFirstAvailable(config.brokers)
    const findCoordinator = await kafkaApi(client, 'FindCoordinator')
    const found = await findCoordinator.async(bootstrap, FindCoordinatorKeyTypes.GROUP, [group.groupId])
    const entry = found.coordinators.find((c: { key: string }) => c.key === group.groupId) ?? found.coordinators[0]
    coordinator = { groupId: group.groupId, host: entry.host, port: entry.port }
    coordinators.set(client, coordinator)
  }
  try {
    const connection = await client.connections.get({ host: coordinator.host, port: coordinator.port })
    const commit = await kafkaApi(client, 'TxnOffsetCommit')
    await commit.async(
      connection,
      transactionalId,
      group.groupId,
      client.producerId,
      client.producerEpoch,
      group.generationId,
      group.memberId,
      null,
      offsetCommitTopics(offsets),
    )
  } catch (error) {
    // A moved coordinator (or any failure) is looked up again next time.
    coordinators.delete(client)
    throw error
  }
}

/** The group coordinator found last, per producer (one group per worker). */
const coordinators = new WeakMap<LibraryProducer, { groupId: string; host: string; port: number }>()
