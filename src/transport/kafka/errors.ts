import { type ClusterMetadata, findErrorBy } from '@platformatic/kafka'
import { isFaustusError, TransportError } from '../../errors.ts'
import { describeError } from './describe.ts'
import { classify, isRetriable, KAFKA_ERROR_KINDS } from './faults.ts'
import { answeredRetryDelayMs, type KafkaConfig, retryLogLevel } from './options.ts'
import { findSecurityFailure, securityError, securityFailureOf } from './security.ts'

export { describeError }

/** The Kafka protocol error id (e.g. `REBALANCE_IN_PROGRESS`) when `error` carries it, anywhere in its chain. */
export function hasKafkaError(error: unknown, id: string): boolean {
  // Through our typed errors' causes too.
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (findErrorBy(e, 'apiId', id) !== null) return true
  }
  return false
}

/** Connection refused, reset, timed out or closed: the broker could not be reached (per the fault table). */
export function isNetworkError(error: unknown): boolean {
  // A refused password or an untrusted certificate arrives wrapped as a network error: it is configuration.
  if (findSecurityFailure(error)) return false
  const { kind, id } = classify(error)
  return kind === 'retriable' && !KAFKA_ERROR_KINDS.has(id)
}

/** Retriable (leader election, coordinator move or load, network, timeout) per the fault table. */
export function isCoordinatorOrNetworkError(error: unknown): boolean {
  return classify(error).kind === 'retriable'
}

export function brokerUnavailable(config: KafkaConfig, what: string, cause: unknown): TransportError {
  return new TransportError(
    'FST_BROKER_UNAVAILABLE',
    `Kafka broker ${config.address} unavailable: ${what} failed: ${describeError(cause)}`,
    { cause, canRetry: true, details: { brokers: config.address, operation: what, error: classify(cause).id } },
  )
}

/** Maps any failure of a library call to a typed error; configuration errors get their own codes. */
export function toTransportError(config: KafkaConfig, what: string, error: unknown): TransportError {
  if (isFaustusError(error)) return error as TransportError
  const security = securityError(config.address, what, error, config)
  if (security) return security
  const fault = classify(error)
  const message = describeError(error)
  const details = { brokers: config.address, operation: what, error: fault.id }
  if (fault.id === 'FENCED_INSTANCE_ID') {
    return new TransportError(
      'FST_GROUP_INSTANCE_FENCED',
      `${what}: another worker joined with this worker's group instance id (brokerGroupInstanceId); this one stops`,
      { cause: error, details },
    )
  }
  switch (fault.kind) {
    case 'retriable':
      return brokerUnavailable(config, what, error)
    case 'topic':
      return new TransportError('FST_TOPIC_UNKNOWN', `${what}: ${message}`, { cause: error, details })
    case 'auth':
      return new TransportError(
        'FST_BROKER_AUTH_FAILED',
        `${what}: authentication with ${config.address} failed (check brokerSasl: mechanism, user, password): ${message}`,
        { cause: error, details },
      )
    case 'authorization':
      return new TransportError('FST_BROKER_NOT_AUTHORIZED', `${what}: not authorized: ${message}`, {
        cause: error,
        details,
      })
    case 'host':
      return new TransportError(
        'FST_BROKER_HOST_UNKNOWN',
        `${what}: broker host name in ${config.address} does not resolve (${fault.id}); check the broker URL`,
        { cause: error, details },
      )
    case 'closed':
      return new TransportError('FST_TRANSPORT_CLOSED', `${what}: the Kafka client is closed`, {
        cause: error,
        details,
      })
    default:
      return new TransportError('FST_TRANSPORT', `${what} failed: ${message}`, { cause: error, details })
  }
}

export interface RetryOptions {
  /**
   * Give up after this long, in ms. Default: the connect deadline until the transport first connected, then none
   * (retry for as long as the broker may come back).
   */
  deadlineMs?: number
  /** Whether an error is worth retrying. Default: the `retriable` kind of the fault table. */
  retriable?: (error: unknown) => boolean
  /** Aborted when the client closes: stop retrying, rethrow the last failure. */
  signal?: AbortSignal
}

/** The retry deadline of an operation starting now: bounded only until the first connect succeeded. */
export function retryDeadline(config: KafkaConfig, deadlineMs?: number): number {
  if (deadlineMs !== undefined) return Date.now() + deadlineMs
  return config.faults.connected ? Number.POSITIVE_INFINITY : Date.now() + config.connectTimeoutMs
}

/**
 * Runs `operation` until it succeeds, retrying retriable failures with backoff, a warning and a counted retry each
 * time. Past the deadline a retriable failure becomes FST_BROKER_UNAVAILABLE naming the brokers; other failures
 * are rethrown typed at once.
 */
export async function withRetries<T>(
  config: KafkaConfig,
  what: string,
  operation: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const deadline = retryDeadline(config, options.deadlineMs)
  const retriable = options.retriable ?? isRetriable
  // The attempt the backoff counts from: when the broker answers again after connections failed (a restart), the
  // errors it answers with meanwhile (leaders and coordinators loading) are retried soon, not after the long
  // backoff the outage built up.
  let backoffFrom = 0
  let unreachable = false
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      const remaining = deadline - Date.now()
      if (!retriable(error) || remaining <= 0 || options.signal?.aborted || securityFailureOf(config, error)) {
        throw toTransportError(config, what, error)
      }
      const errorId = classify(error).id
      const network = errorId === 'NETWORK'
      if (unreachable && !network) backoffFrom = attempt - 1
      unreachable = network
      const delay = Math.min(answeredRetryDelayMs(attempt - backoffFrom, errorId), remaining)
      noteRetry(config, what, attempt, delay, error)
      await sleep(delay, options.signal)
    }
  }
}

/** One log line and one counted retry. */
export function noteRetry(config: KafkaConfig, what: string, attempt: number, delayMs: number, error: unknown): void {
  const errorId = classify(error).id
  config.logger[retryLogLevel(errorId)](
    `${what} failed (attempt ${attempt}), retrying in ${delayMs} ms: ${describeError(error)}`,
    {
      brokers: config.address,
      error: errorId,
    },
  )
  config.faults.stats.record({ operation: what, attempt, delayMs, errorId, brokers: config.address })
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, { once: true })
  })
}

/** Rejects with FST_BROKER_UNAVAILABLE when `promise` has not settled after `ms`. */
export function withDeadline<T>(config: KafkaConfig, what: string, ms: number, promise: Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(brokerUnavailable(config, what, new Error(`no answer within ${ms} ms`)))
    }, ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

/**
 * Partition count of a topic from metadata (cached unless `fresh`), undefined when it does not exist. Unreachable
 * brokers are retried until the deadline; an unknown topic is asked again `unknownRetries` times, fresh (a topic
 * just created elsewhere may not be known to every broker yet).
 */
export async function partitionCount(
  config: KafkaConfig,
  client: {
    metadata(options: { topics: string[]; retries?: number; forceUpdate?: boolean }): Promise<ClusterMetadata>
  },
  topic: string,
  options: { fresh?: boolean; unknownRetries?: number; signal?: AbortSignal } = {},
): Promise<number | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      let refresh = options.fresh === true || attempt > 0
      const metadata = await withRetries(
        config,
        `reading metadata of topic ${topic}`,
        () => {
          // After a failure (a leader election, a broker gone) the cached metadata is stale: ask again.
          const forceUpdate = refresh
          refresh = true
          return client.metadata({ topics: [topic], retries: 0, forceUpdate })
        },
        { signal: options.signal },
      )
      return metadata.topics.get(topic)?.partitionsCount
    } catch (error) {
      if (!isFaustusError(error, 'FST_TOPIC_UNKNOWN') && !isUnknownTopicAnswer(error)) throw error
      if (attempt >= (options.unknownRetries ?? 0)) return undefined
      await sleep(100 * (attempt + 1))
    }
  }
}

/**
 * The library answers a metadata request for a topic the broker does not know with a user error (code
 * PLT_KFK_USER), dropping the protocol error; in answer to a one-topic metadata request it means exactly that.
 */
function isUnknownTopicAnswer(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'PLT_KFK_USER') return true
  }
  return false
}
