import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import type { BaseOptions } from '@platformatic/kafka'
import type { ProducerOptions } from '../types.ts'
import { describeError } from './describe.ts'
import { classify, RetryStats } from './faults.ts'
import { type KafkaSaslOptions, type KafkaTlsOptions, resolveSasl, resolveTls, securityFailureOf } from './security.ts'
import { type BrokerAddress, formatBrokers } from './url.ts'

/** Where the driver reports retries and rebalances: pino's calling convention, `(fields, message)`. */
export interface KafkaLogger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
}

/** What the driver logs through: message first, fields optional. */
export interface DriverLog {
  debug(message: string, details?: Record<string, unknown>): void
  info(message: string, details?: Record<string, unknown>): void
  warn(message: string, details?: Record<string, unknown>): void
}

export type { KafkaSaslOptions, KafkaTlsOptions }

export interface KafkaTransportOptions {
  /** `kafka://host:port[,host:port]`. */
  url: string
  clientId?: string
  /**
   * How long `connect()` keeps retrying an unreachable broker before failing with FST_BROKER_UNAVAILABLE. Default
   * 30 s. Only the first connect has this deadline: once connected, retriable failures are retried for as long as
   * it takes (a running worker outlives a broker outage), until the client is closed.
   */
  connectTimeoutMs?: number
  /** Timeout of one request. Default 30 s (group joins get the rebalance timeout on top). */
  requestTimeoutMs?: number
  /**
   * TLS: `true` for the system CAs, or Node TLS options (`ca`, `cert`, `key`, `servername`, ...) plus `caFile`,
   * `certFile`, `keyFile` (PEM paths). The broker's certificate and host name are always verified.
   */
  tls?: boolean | KafkaTlsOptions
  /** Alias of `tls`. */
  ssl?: boolean | KafkaTlsOptions
  sasl?: KafkaSaslOptions
  /** Retries, rebalances and failures are logged here (pino-style). Default: warnings to stderr. */
  logger?: KafkaLogger
  /** Alias of `logger`. */
  log?: KafkaLogger
  /** A consumer whose handler threw after `start` resolved; default: an unhandled rejection. */
  onConsumerError?: (error: unknown) => void
  /** Consumer group session timeout (Kafka `session.timeout.ms`). Default 45 s, as Kafka 3+ clients. */
  sessionTimeoutMs?: number
  /** Heartbeat interval; also how fast a member notices a rebalance (`heartbeat.interval.ms`). Default 3 s. */
  heartbeatIntervalMs?: number
  /** How long the coordinator waits for members to rejoin. Default 60 s. */
  rebalanceTimeoutMs?: number
  /**
   * Static membership (`group.instance.id`): a member that comes back with the same id within the session timeout
   * takes its partitions back without a rebalance, and a stopping member does not leave the group. Unique per
   * worker process. Default none (dynamic membership).
   */
  groupInstanceId?: string
  /** Longest a fetch waits on the broker for data. Default 500 ms. */
  fetchMaxWaitMs?: number
  /** Byte limit of one fetch response. Default 1 MiB (what is fetched is held as objects: bounds memory). */
  fetchMaxBytes?: number
  /** Byte limit per partition in one fetch. Default 256 KiB. */
  fetchPartitionMaxBytes?: number
  /** Producer default: max time a record waits to fill a batch. Default 5 ms. */
  lingerMs?: number
  /** Producer default: batch compression. Default none. */
  compression?: ProducerOptions['compression']
  /** Producer default: records buffered or in flight before `send` waits. Default 100,000. */
  maxBufferedRecords?: number
  /** Producer default: bytes of keys, values and headers buffered or in flight before `send` waits. Default 1 MiB. */
  maxBufferedBytes?: number
  /** Producer default: records per produce request before it is sent without waiting for linger. Default 10,000. */
  batchMaxRecords?: number
  /** Producer default: produce requests in flight. Default 2. */
  maxInFlightRequests?: number
}

export interface KafkaConfig {
  brokers: BrokerAddress[]
  /** `host:port,...`, for messages. */
  address: string
  clientId: string
  connectTimeoutMs: number
  requestTimeoutMs: number
  tls: TlsConnectionOptions | undefined
  sasl: KafkaSaslOptions | undefined
  logger: DriverLog
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  rebalanceTimeoutMs: number
  groupInstanceId: string | undefined
  /** Shared by every client of one transport: whether the first connect succeeded, and the retry counters. */
  faults: { connected: boolean; stats: RetryStats }
  fetchMaxWaitMs: number
  fetchMaxBytes: number
  fetchPartitionMaxBytes: number
  producer: {
    lingerMs?: number
    compression?: ProducerOptions['compression']
    maxBufferedRecords?: number
    maxBufferedBytes?: number
    batchMaxRecords?: number
    maxInFlightRequests?: number
  }
}

const noop = (): void => {}

/** Default: warnings (retries, failures) to stderr, nothing else. */
const stderrLog: DriverLog = {
  debug: noop,
  info: noop,
  warn: (message, details) => console.warn(`[faustus:kafka] ${message}`, details ?? ''),
}

function driverLog(logger: KafkaLogger | undefined): DriverLog {
  if (!logger) return stderrLog
  return {
    debug: (message, details) => logger.debug(details ?? {}, message),
    info: (message, details) => logger.info(details ?? {}, message),
    warn: (message, details) => logger.warn(details ?? {}, message),
  }
}

export function resolveConfig(brokers: BrokerAddress[], options: KafkaTransportOptions): KafkaConfig {
  const tls = resolveTls(options.tls ?? options.ssl)
  const sasl = resolveSasl(options.sasl)
  return {
    brokers,
    address: formatBrokers(brokers),
    clientId: options.clientId ?? 'faustus',
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
    tls,
    sasl,
    logger: driverLog(options.logger ?? options.log),
    sessionTimeoutMs: options.sessionTimeoutMs ?? 45_000,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 3_000,
    rebalanceTimeoutMs: options.rebalanceTimeoutMs ?? 60_000,
    groupInstanceId: options.groupInstanceId || undefined,
    faults: { connected: false, stats: new RetryStats() },
    fetchMaxWaitMs: options.fetchMaxWaitMs ?? 500,
    fetchMaxBytes: options.fetchMaxBytes ?? 1024 * 1024,
    fetchPartitionMaxBytes: options.fetchPartitionMaxBytes ?? 256 * 1024,
    producer: {
      lingerMs: options.lingerMs,
      compression: options.compression,
      maxBufferedRecords: options.maxBufferedRecords,
      maxBufferedBytes: options.maxBufferedBytes,
      batchMaxRecords: options.batchMaxRecords,
      maxInFlightRequests: options.maxInFlightRequests,
    },
  }
}

/**
 * Backoff before retry `attempt` (1-based): 100 ms doubling up to 1 s (Kafka's `retry.backoff.max.ms` and
 * `reconnect.backoff.max.ms`): a client waiting out an outage notices the broker back within 1 s of its answering.
 */
export function backoffMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), 1_000)
}

/**
 * Answers of a broker that is up but whose coordinator is still loading, moving or finishing the previous
 * transaction (right after a restart): they clear within milliseconds to seconds, so they are retried every 100 ms
 * (Kafka's `retry.backoff.ms`) rather than with a backoff grown while the broker was away.
 */
const BUSY_COORDINATOR = new Set([
  'CONCURRENT_TRANSACTIONS',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'COORDINATOR_NOT_AVAILABLE',
  'NOT_COORDINATOR',
])

/**
 * CONCURRENT_TRANSACTIONS answers the first AddPartitionsToTxn of a transaction while the coordinator still writes
 * the previous one's markers (milliseconds): retried every 20 ms, as Kafka's producer does, not to stall every
 * transaction by 100 ms.
 */
const PREVIOUS_TRANSACTION_ENDING_RETRY_MS = 20

/**
 * How a retry is logged: a warning, except CONCURRENT_TRANSACTIONS, which an exactly-once worker meets after most of
 * its own commits (the next transaction begins while the coordinator still writes the last one's markers): a
 * warning every 100 ms would bury the real ones. It is still counted.
 */
export function retryLogLevel(errorId: string): 'debug' | 'warn' {
  return errorId === 'CONCURRENT_TRANSACTIONS' ? 'debug' : 'warn'
}

/** Backoff before retry `attempt` after an error classified as `errorId` (see `classify`). */
export function retryDelayMs(attempt: number, errorId: string): number {
  const delay = backoffMs(attempt)
  if (errorId === 'CONCURRENT_TRANSACTIONS') return PREVIOUS_TRANSACTION_ENDING_RETRY_MS
  return BUSY_COORDINATOR.has(errorId) ? Math.min(delay, 100) : delay
}

/**
 * Answers of a broker that is up while partition leadership settles after it restarted (its leader epochs catch up
 * within a second or so). Our own retry loops (`withRetries`, which go on for as long as the broker may come back)
 * retry them every 100 ms for the first `SETTLING_FAST_RETRIES` answers, then with the usual backoff (a partition
 * left without a leader is not hammered); the library's bounded retries keep the backoff that spans the connect
 * deadline.
 */
const SETTLING_LEADERSHIP = new Set([
  'UNKNOWN_LEADER_EPOCH',
  'FENCED_LEADER_EPOCH',
  'NOT_LEADER_OR_FOLLOWER',
  'LEADER_NOT_AVAILABLE',
  'OFFSET_NOT_AVAILABLE',
])
const SETTLING_FAST_RETRIES = 10

/** Backoff before our own retry `attempt` (counted from the broker's first answer) after `errorId`. */
export function answeredRetryDelayMs(attempt: number, errorId: string): number {
  const delay = retryDelayMs(attempt, errorId)
  return SETTLING_LEADERSHIP.has(errorId) && attempt <= SETTLING_FAST_RETRIES ? Math.min(delay, 100) : delay
}

/** How many retries with `backoffMs` fit in `deadlineMs`. */
export function retriesWithin(deadlineMs: number): number {
  let retries = 0
  for (let waited = 0; waited < deadlineMs; retries++) waited += backoffMs(retries + 1)
  return retries
}

/**
 * Options shared by every library client the driver creates. Each library-level retry is logged; by default the
 * retries span the connect deadline, so an operation on an unreachable broker fails after about that long.
 */
export function baseClientOptions(
  config: KafkaConfig,
  role: string,
  retries = retriesWithin(config.connectTimeoutMs),
): BaseOptions {
  const { logger } = config
  return {
    clientId: `${config.clientId}-${role}`,
    bootstrapBrokers: config.brokers.map((b) => ({ host: b.host, port: b.port })),
    connectTimeout: Math.min(config.connectTimeoutMs, 10_000),
    requestTimeout: config.requestTimeoutMs,
    timeout: config.requestTimeoutMs,
    retries,
    retryDelay: (client: unknown, operationId: string, attempt: number, retriesAllowed: number, error: Error) => {
      const errorId = classify(error).id
      const delay = retryDelayMs(attempt, errorId)
      if (securityFailureOf(config, error)) {
        // A refused password or an untrusted certificate will not heal: closing the client ends the library's
        // retries now, and the caller gets the failure (typed as a configuration error) instead of 30 s of retries.
        setImmediate(() => void (client as { close(): Promise<void> }).close().catch(() => {}))
        return delay
      }
      logger[retryLogLevel(errorId)](
        `${operationId} failed, retry ${attempt}/${retriesAllowed} in ${delay} ms: ${describeError(error)}`,
        {
          brokers: config.address,
          operation: operationId,
          error: errorId,
        },
      )
      config.faults.stats.record({ operation: operationId, attempt, delayMs: delay, errorId, brokers: config.address })
      return delay
    },
    metadataMaxAge: 30_000,
    ...(config.tls ? { tls: config.tls } : {}),
    ...(config.sasl ? { sasl: librarySasl(config.sasl) } : {}),
  }
}

/**
 * The library's SASL options. For OAUTHBEARER the broker answers a rejected token with an error document instead of
 * an error code; without a validator the library would take that as success and fail later as a lost connection.
 */
export function librarySasl(sasl: KafkaSaslOptions): NonNullable<BaseOptions['sasl']> {
  const options = { ...sasl } as NonNullable<BaseOptions['sasl']>
  if (sasl.mechanism !== 'OAUTHBEARER') return options
  options.authBytesValidator = (authBytes, callback) => {
    let status: unknown
    try {
      status =
        authBytes.length > 0 ? (JSON.parse(authBytes.toString('utf8')) as { status?: unknown }).status : undefined
    } catch {
      status = 'unreadable response'
    }
    if (status !== undefined) callback(new Error(`OAUTHBEARER token rejected (${String(status)})`), authBytes)
    else callback(null, authBytes)
  }
  return options
}
