/**
 * Typed errors with stable codes. Every code is listed in `ERROR_CODES` (and in docs/errors.md; a test checks both
 * agree). Callers branch on `code`, never on the message.
 */
export const ERROR_CODES = {
  FST_SETTING_UNKNOWN: 'A setting name is not known',
  FST_SETTING_INVALID: 'A setting has a value of the wrong type or range',
  FST_SETTING_UNAVAILABLE: 'A setting names a feature that is not available yet',
  FST_BROKER_URL_INVALID: 'The broker URL has an unknown scheme or cannot be parsed',
  FST_BROKER_UNAVAILABLE: 'The broker could not be reached before the connect deadline',
  FST_TRANSPORT: 'The transport failed an operation',
  FST_TRANSPORT_CLOSED: 'An operation was asked of a Kafka client that is already closed',
  FST_BROKER_NOT_AUTHORIZED: 'The broker refused an operation the principal is not authorized for',
  FST_BROKER_HOST_UNKNOWN: 'A broker host name does not resolve (configuration)',
  FST_BROKER_AUTH_FAILED: 'The broker refused the SASL credentials (wrong user or password, expired token)',
  FST_BROKER_SASL_MECHANISM: 'The broker does not enable the SASL mechanism asked for',
  FST_BROKER_TLS_UNTRUSTED: "The broker's certificate is not signed by a trusted CA (brokerSsl.ca / caFile)",
  FST_BROKER_TLS_HOSTNAME: "The broker's certificate does not name the host connected to",
  FST_BROKER_TLS_HANDSHAKE: 'The TLS handshake failed (TLS to a plaintext port, or a client certificate refused)',
  FST_BROKER_TLS_CLIENT_CERT:
    'The broker refused the client certificate: none given (brokerSsl.certFile / keyFile) or not one it trusts',
  FST_TOPIC_PARTITIONS_MISMATCH: 'An existing topic has a different partition count than declared',
  FST_TOPIC_UNKNOWN: 'A topic does not exist and may not be created',
  FST_GROUP_INSTANCE_FENCED:
    'A worker with the same group instance id (brokerGroupInstanceId) joined and took the place of this one',
  FST_PRODUCER_FENCED: 'A transaction was refused: a newer producer or group generation took over (a zombie worker)',
  FST_OUTPUT_REFUSED: 'The broker refused an output record (too large, topic missing, not authorized)',
  FST_DECODE: 'A payload could not be decoded by its codec',
  FST_VALIDATION: 'A value does not match its schema',
  FST_NAMESPACE_UNKNOWN: 'A record namespace is not registered',
  FST_CODEC_UNKNOWN: 'A codec name is not registered',
  FST_ENCODE: 'A value could not be encoded',
  FST_ASK_TIMEOUT: 'An ask got no reply before its timeout',
  FST_AGENT_CRASHED: 'An agent raised and its supervisor gave up',
  FST_AGENT_CONCURRENT_WRITE: 'An agent with concurrency > 1 tried to write a table',
  FST_AGENT_NO_TOPIC: 'The agent has no topic to send to',
  FST_APP_NOT_STARTED: 'The operation needs a started app',
  FST_APP_DEFINITION: 'The app definition is invalid (duplicate name, bad option)',
  FST_TEST_DRIVER: 'The test driver was given an app it cannot drive (not on memory://, already started)',
  FST_TEST_NOT_IDLE: 'An app under the test driver kept working past the idle limit',
  FST_STREAM_CLOSED: 'The stream was closed',
  FST_TABLE_WRONG_PARTITION: 'A table key belongs to a partition this worker does not own',
  FST_TABLE_VALUE: 'A table value fails its schema',
  FST_TABLE_OUTSIDE_AGENT: 'A table was written outside an agent without an explicit partition',
  FST_TABLE_KEY: "A table key cannot be encoded by the table's key type",
  FST_JOIN_COPARTITION: 'The two sides of a join are not co-partitioned (different partition counts)',
  FST_JOIN_DEFINITION: 'A join is defined wrongly (bad window, kind or key, or declared after its state could be)',
  FST_STORE_LOCKED: 'A state store directory is locked by another process',
  FST_STORE: 'A state store operation failed',
  FST_RECOVERY_STALLED: 'Table recovery made no progress',
  FST_CLI_USAGE: 'Bad command-line usage',
  FST_CLI_APP_NOT_FOUND: 'The -A module has no Faustus app',
  FST_WORKER_PROCESSES: 'Worker processes under `faustus worker --processes` crash-looped or failed to start',
  FST_GROUP_ACTIVE: 'The consumer group has running members (stop its workers first)',
  FST_MANIFEST_INVALID: 'A declarative manifest is invalid',
  FST_MANIFEST_CODE: 'Code from a declarative manifest raised while running',
  FST_WEB_PORT_IN_USE: 'The web server port is already taken by another process',
  FST_WEB_ROUTE: 'A table lookup could not be routed to the worker owning the key',
  FST_WEB_UNREACHABLE: 'No worker web server answered at the given address',
} as const

export type ErrorCode = keyof typeof ERROR_CODES

export interface FaustusErrorOptions {
  cause?: unknown
  canRetry?: boolean
  /** Structured facts about the failure (topic, partition, offset, field, ...). */
  details?: Record<string, unknown>
}

export class FaustusError extends Error {
  readonly code: ErrorCode
  readonly canRetry: boolean
  readonly details: Record<string, unknown>

  constructor(code: ErrorCode, message: string, options: FaustusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'FaustusError'
    this.code = code
    this.canRetry = options.canRetry ?? false
    this.details = options.details ?? {}
  }
}

/** Where a consumed payload came from; attached to decode and validation errors. */
export interface MessageOrigin {
  topic?: string
  partition?: number
  offset?: number
}

/**
 * The origin's own fields, for an error's details: decoding passes the consumed record itself as its origin (no
 * object per record), and its key, value and headers must not end up in the details.
 */
export function originDetails(origin: MessageOrigin | undefined): MessageOrigin {
  const details: MessageOrigin = {}
  if (origin === undefined) return details
  if (origin.topic !== undefined) details.topic = origin.topic
  if (origin.partition !== undefined) details.partition = origin.partition
  if (origin.offset !== undefined) details.offset = origin.offset
  return details
}

function describeOrigin(origin: MessageOrigin | undefined): string {
  if (!origin || origin.topic === undefined) return ''
  return ` (topic ${origin.topic}, partition ${origin.partition ?? '?'}, offset ${origin.offset ?? '?'})`
}

export class DecodeError extends FaustusError {
  constructor(message: string, origin?: MessageOrigin, options: FaustusErrorOptions = {}) {
    super('FST_DECODE', message + describeOrigin(origin), {
      ...options,
      details: { ...originDetails(origin), ...options.details },
    })
    this.name = 'DecodeError'
  }
}

export class ValidationError extends FaustusError {
  readonly field: string
  constructor(field: string, message: string, origin?: MessageOrigin, options: FaustusErrorOptions = {}) {
    super('FST_VALIDATION', `field "${field}": ${message}${describeOrigin(origin)}`, {
      ...options,
      details: { field, ...originDetails(origin), ...options.details },
    })
    this.name = 'ValidationError'
    this.field = field
  }
}

export class SettingError extends FaustusError {
  constructor(
    code: 'FST_SETTING_UNKNOWN' | 'FST_SETTING_INVALID' | 'FST_SETTING_UNAVAILABLE',
    message: string,
    options: FaustusErrorOptions = {},
  ) {
    super(code, message, options)
    this.name = 'SettingError'
  }
}

export class TransportError extends FaustusError {
  constructor(code: ErrorCode, message: string, options: FaustusErrorOptions = {}) {
    super(code, message, options)
    this.name = 'TransportError'
  }
}

export class AskTimeoutError extends FaustusError {
  constructor(agent: string, timeoutMs: number, correlationId: string) {
    super('FST_ASK_TIMEOUT', `ask to agent "${agent}" got no reply within ${timeoutMs} ms`, {
      details: { agent, timeoutMs, correlationId },
    })
    this.name = 'AskTimeoutError'
  }
}

export class CliUsageError extends FaustusError {
  constructor(message: string, options: FaustusErrorOptions = {}) {
    super('FST_CLI_USAGE', message, options)
    this.name = 'CliUsageError'
  }
}

export function isFaustusError(error: unknown, code?: ErrorCode): error is FaustusError {
  return error instanceof FaustusError && (code === undefined || error.code === code)
}
