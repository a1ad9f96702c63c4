import { FaustusError } from '../errors.ts'
import { type Logger, redactUrls } from '../logging.ts'
import { MemoryTransport } from '../transport/memory/index.ts'
import type { Transport } from '../transport/types.ts'
import type { Settings } from './settings.ts'

/** Builds the transport a broker URL names: `memory://[name]` (in-process) or `kafka://host:port[,host:port]`. */
export async function createTransport(
  settings: Settings,
  log: Logger,
  onConsumerError?: (error: unknown) => void,
): Promise<Transport> {
  const url = settings.broker
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1]
  if (scheme === 'memory') return new MemoryTransport({ url, onConsumerError })
  if (scheme === 'kafka') {
    // Loaded on demand so memory-only apps never load the Kafka client.
    const { KafkaTransport } = await import('../transport/kafka/index.ts')
    return new KafkaTransport({
      url,
      clientId: settings.brokerClientId,
      connectTimeoutMs: settings.brokerConnectTimeoutMs,
      sessionTimeoutMs: settings.brokerSessionTimeoutMs,
      heartbeatIntervalMs: settings.brokerHeartbeatIntervalMs,
      rebalanceTimeoutMs: settings.brokerRebalanceTimeoutMs,
      groupInstanceId: staticMemberId(settings.brokerGroupInstanceId),
      lingerMs: settings.producerLingerMs,
      maxBufferedBytes: settings.producerMaxBufferedBytes,
      fetchMaxBytes: settings.consumerFetchMaxBytes,
      fetchPartitionMaxBytes: settings.consumerFetchPartitionMaxBytes,
      compression: settings.producerCompression,
      ssl: settings.brokerSsl,
      sasl: settings.brokerSasl,
      log: log.child({ component: 'kafka' }),
      onConsumerError,
    })
  }
  throw new FaustusError(
    'FST_BROKER_URL_INVALID',
    `unsupported broker URL "${redactUrls(url)}": use memory:// or kafka://host:port`,
  )
}

/**
 * Under `faustus worker --processes N` each process is a member of its own: the static id gets the process index
 * (as Kafka Streams suffixes its threads'), so a restarted process takes its own partitions back.
 */
export function staticMemberId(id: string | undefined): string | undefined {
  const worker = process.env.FAUSTUS_WORKER_INDEX
  return id === undefined || worker === undefined || worker === '' ? id : `${id}-${worker}`
}
