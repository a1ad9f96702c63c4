/**
 * What a Kafka failure means for the caller, decided in one place: every protocol error the client library knows
 * (its `protocolErrors` list, with the broker's retriable flags) gets a kind, with our own overrides below; network
 * failures, timeouts, authentication and closed clients are classified by the library's error codes and the system
 * error codes, never by message text.
 */
import { channel } from 'node:diagnostics_channel'
import { protocolErrors, TimeoutError } from '@platformatic/kafka'
import { isFaustusError } from '../../errors.ts'

/**
 * - `retriable`: the broker may answer later (leader election, coordinator move, network, timeout): retry.
 * - `rejoin`: the group moved on (new generation, unknown member): rejoin, then retry.
 * - `topic`: a topic or partition does not exist.
 * - `auth`: authentication failed or the SASL mechanism is not enabled: a configuration error.
 * - `authorization`: the principal may not do this: a configuration error.
 * - `host`: a bootstrap host name does not resolve: a configuration error.
 * - `closed`: the client was closed by us: nothing to retry.
 * - `fatal`: retrying cannot fix it.
 */
export type FaultKind = 'retriable' | 'rejoin' | 'topic' | 'auth' | 'authorization' | 'host' | 'closed' | 'fatal'

const OVERRIDES: Record<string, FaultKind> = {
  // Not flagged retriable by the library, but transient.
  BROKER_NOT_AVAILABLE: 'retriable',
  // Group membership: handled by rejoining.
  MEMBER_ID_REQUIRED: 'rejoin',
  UNKNOWN_MEMBER_ID: 'rejoin',
  REBALANCE_IN_PROGRESS: 'rejoin',
  ILLEGAL_GENERATION: 'rejoin',
  // Another member joined with our group.instance.id: rejoining would fence it in turn (Kafka's clients stop).
  FENCED_INSTANCE_ID: 'fatal',
  // Retriable for the library (metadata may lag), but a topic we were told of does not exist.
  UNKNOWN_TOPIC_OR_PARTITION: 'topic',
  UNKNOWN_TOPIC_ID: 'topic',
  // Configuration errors: reported at once.
  SASL_AUTHENTICATION_FAILED: 'auth',
  UNSUPPORTED_SASL_MECHANISM: 'auth',
  ILLEGAL_SASL_STATE: 'auth',
  SECURITY_DISABLED: 'auth',
  TOPIC_AUTHORIZATION_FAILED: 'authorization',
  GROUP_AUTHORIZATION_FAILED: 'authorization',
  CLUSTER_AUTHORIZATION_FAILED: 'authorization',
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 'authorization',
  DELEGATION_TOKEN_AUTHORIZATION_FAILED: 'authorization',
}

/** The one table: Kafka protocol error id -> kind, for every error the client library knows. */
export const KAFKA_ERROR_KINDS: ReadonlyMap<string, FaultKind> = new Map(
  Object.values(protocolErrors)
    .filter((definition) => definition.code !== 0)
    .map((definition) => [definition.id, OVERRIDES[definition.id] ?? (definition.canRetry ? 'retriable' : 'fatal')]),
)

/** Node system error codes of an unreachable broker. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EADDRNOTAVAIL',
])
/** Node system error codes of a host name that does not resolve. */
const HOST_CODES = new Set(['ENOTFOUND', 'EAI_NONAME', 'EAI_FAIL'])

/** Worse kinds win when an error holds several (a response with one error per partition). */
const SEVERITY: FaultKind[] = ['retriable', 'rejoin', 'topic', 'fatal', 'closed', 'host', 'authorization', 'auth']

export interface Fault {
  kind: FaultKind
  /** The Kafka error id (`LEADER_NOT_AVAILABLE`), the system error code (`ECONNREFUSED`) or a short name. */
  id: string
}

function worst(a: Fault, b: Fault): Fault {
  return SEVERITY.indexOf(b.kind) > SEVERITY.indexOf(a.kind) ? b : a
}

/** Classifies any failure of a client call (our typed errors are classified by their cause). */
export function classify(error: unknown, depth = 0): Fault {
  if (depth > 8 || error === null || typeof error !== 'object') return { kind: 'fatal', id: 'UNKNOWN' }
  const e = error as {
    code?: unknown
    apiId?: unknown
    closed?: unknown
    errors?: unknown
    cause?: unknown
    canRetry?: unknown
  }
  if (isFaustusError(error)) {
    if (e.cause !== undefined) return classify(e.cause, depth + 1)
    return { kind: e.canRetry === true ? 'retriable' : 'fatal', id: String(e.code) }
  }
  if (typeof e.apiId === 'string') {
    return { kind: KAFKA_ERROR_KINDS.get(e.apiId) ?? 'fatal', id: e.apiId }
  }
  const code = typeof e.code === 'string' ? e.code : ''
  if (Array.isArray(e.errors) && e.errors.length > 0) {
    // The library's retry loop aggregates every attempt: the last one says where things stand. A response error
    // holds one error per partition or member: the worst decides.
    if (code === 'PLT_KFK_MULTIPLE') return classify(e.errors[e.errors.length - 1], depth + 1)
    return e.errors.map((inner) => classify(inner, depth + 1)).reduce(worst)
  }
  if (code === 'PLT_KFK_AUTHENTICATION') return { kind: 'auth', id: 'AUTHENTICATION' }
  if (code === 'PLT_KFK_NETWORK') {
    if (e.closed === true) return { kind: 'closed', id: 'CLIENT_CLOSED' }
    if (error instanceof TimeoutError) return { kind: 'retriable', id: 'REQUEST_TIMEOUT' }
    if (e.cause !== undefined) {
      const inner = classify(e.cause, depth + 1)
      if (inner.kind === 'host' || inner.kind === 'auth') return inner
    }
    return { kind: 'retriable', id: 'NETWORK' }
  }
  if (HOST_CODES.has(code)) return { kind: 'host', id: code }
  if (NETWORK_CODES.has(code)) return { kind: 'retriable', id: code }
  if (code === 'EAI_AGAIN') return { kind: 'retriable', id: code } // DNS temporarily failing
  if (e.cause !== undefined) return classify(e.cause, depth + 1)
  return { kind: 'fatal', id: code || (error as Error).name || 'UNKNOWN' }
}

export function isRetriable(error: unknown): boolean {
  return classify(error).kind === 'retriable'
}

/** The diagnostics channel every retry is published on (`RetryEvent` messages). */
export const RETRY_CHANNEL = 'faustus:kafka:retry'
const retryChannel = channel(RETRY_CHANNEL)

export interface RetryEvent {
  /** What was retried, e.g. `producing`, `committing offsets of group g`, `Produce` (a library-level retry). */
  operation: string
  attempt: number
  delayMs: number
  /** The error's classification id, e.g. `LEADER_NOT_AVAILABLE`, `ECONNREFUSED`. */
  errorId: string
  brokers: string
}

/** Retry counters of one transport, ready for a metrics exporter. */
export class RetryStats {
  total = 0
  readonly byError = new Map<string, number>()
  readonly byOperation = new Map<string, number>()
  lastRetryAt: number | undefined

  record(event: RetryEvent): void {
    this.total++
    this.lastRetryAt = Date.now()
    this.byError.set(event.errorId, (this.byError.get(event.errorId) ?? 0) + 1)
    const operation = event.operation.replace(/ of (group|topic) .*$/, '')
    this.byOperation.set(operation, (this.byOperation.get(operation) ?? 0) + 1)
    if (retryChannel.hasSubscribers) retryChannel.publish(event)
  }

  toJSON(): { total: number; byError: Record<string, number>; byOperation: Record<string, number> } {
    return {
      total: this.total,
      byError: Object.fromEntries(this.byError),
      byOperation: Object.fromEntries(this.byOperation),
    }
  }
}
