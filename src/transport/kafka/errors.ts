import { type ClusterMetadata, findErrorBy } from '@platformatic/kafka'
import { isFaustusError, TransportError } from '../../errors.ts'
import { describeError } from './describe.ts'
import { backoffMs, type KafkaConfig } from './options.ts'
import { findSecurityFailure, securityError } from './security.ts'

export { describeError }

/** The Kafka protocol error id (e.g. `REBALANCE_IN_PROGRESS`) when `error` carries it, anywhere in its chain. */
export function hasKafkaError(error: unknown, id: string): boolean {
  // Through our typed errors' causes too.
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (findErrorBy(e, 'apiId', id) !== null) return true
  }
  return false
}

/** Connection refused, reset, timed out or closed: the broker could not be reached. */
export function isNetworkError(error: unknown): boolean {
  // A refused password or an untrusted certificate arrives wrapped as a network error: it is configuration.
  if (findSecurityFailure(error)) return false
  if (findErrorBy(error as Error, 'code', 'PLT_KFK_NETWORK') !== null) return true
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE)$/.test(code)
}

/** The group coordinator moved, is loading or cannot be reached: look it up again and retry. */
export function isCoordinatorOrNetworkError(error: unknown): boolean {
  return (
    isNetworkError(error) ||
    hasKafkaError(error, 'NOT_COORDINATOR') ||
    hasKafkaError(error, 'COORDINATOR_NOT_AVAILABLE') ||
    hasKafkaError(error, 'COORDINATOR_LOAD_IN_PROGRESS')
  )
}

export function brokerUnavailable(config: KafkaConfig, what: string, cause: unknown): TransportError {
  return new TransportError(
    'FST_BROKER_UNAVAILABLE',
    `Kafka broker ${config.address} unavailable: ${what} failed: ${describeError(cause)}`,
    { cause, canRetry: true, details: { brokers: config.address, operation: what } },
  )
}

/** Maps any failure of a library call to a typed error. */
export function toTransportError(config: KafkaConfig, what: string, error: unknown): TransportError {
  if (isFaustusError(error)) return error as TransportError
  const security = securityError(config.address, what, error)
  if (security) return security
  if (isNetworkError(error)) return brokerUnavailable(config, what, error)
  const message = describeError(error)
  if (/Unknown topic/i.test(message) || hasKafkaError(error, 'UNKNOWN_TOPIC_OR_PARTITION')) {
    return new TransportError('FST_TOPIC_UNKNOWN', `${what}: ${message}`, { cause: error })
  }
  return new TransportError('FST_TRANSPORT', `${what} failed: ${message}`, { cause: error })
}

export interface RetryOptions {
  /** Give up after this long, in ms. Default: the connect deadline. */
  deadlineMs?: number
  /** Whether an error is worth retrying. Default: network errors and retriable Kafka errors. */
  retriable?: (error: unknown) => boolean
  signal?: AbortSignal
}

function defaultRetriable(error: unknown): boolean {
  return isNetworkError(error) || findErrorBy(error as Error, 'canRetry', true) !== null
}

/**
 * Runs `operation` until it succeeds, retrying retriable failures with backoff and a warning per retry. After the
 * deadline a network failure becomes FST_BROKER_UNAVAILABLE naming the brokers; other failures are rethrown typed.
 */
export async function withRetries<T>(
  config: KafkaConfig,
  what: string,
  operation: () => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const deadline = Date.now() + (options.deadlineMs ?? config.connectTimeoutMs)
  const retriable = options.retriable ?? defaultRetriable
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation()
    } catch (error) {
      const remaining = deadline - Date.now()
      if (!retriable(error) || remaining <= 0 || options.signal?.aborted || findSecurityFailure(error)) {
        throw toTransportError(config, what, error)
      }
      const delay = Math.min(backoffMs(attempt), remaining)
      config.logger.warn(`${what} failed (attempt ${attempt}), retrying in ${delay} ms: ${describeError(error)}`, {
        brokers: config.address,
      })
      await sleep(delay, options.signal)
    }
  }
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
  options: { fresh?: boolean; unknownRetries?: number } = {},
): Promise<number | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      const metadata = await withRetries(
        config,
        `reading metadata of topic ${topic}`,
        () => client.metadata({ topics: [topic], retries: 0, forceUpdate: options.fresh === true || attempt > 0 }),
        { retriable: isNetworkError },
      )
      return metadata.topics.get(topic)?.partitionsCount
    } catch (error) {
      if (!isFaustusError(error, 'FST_TOPIC_UNKNOWN')) throw error
      if (attempt >= (options.unknownRetries ?? 0)) return undefined
      await sleep(100 * (attempt + 1))
    }
  }
}
