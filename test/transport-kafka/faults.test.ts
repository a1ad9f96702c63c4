import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  protocolErrors,
  ResponseError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import { toTransportError, withRetries } from '../../src/transport/kafka/errors.ts'
import { classify, KAFKA_ERROR_KINDS } from '../../src/transport/kafka/faults.ts'
import { answeredRetryDelayMs, resolveConfig, retryDelayMs, retryLogLevel } from '../../src/transport/kafka/options.ts'

function systemError(code: string): Error {
  return Object.assign(new Error(`getaddrinfo ${code} nowhere.invalid`), { code })
}

function config(connectTimeoutMs = 50) {
  const lines: string[] = []
  const logger = { debug: () => {}, info: () => {}, warn: (_o: object, m?: string) => void lines.push(m ?? '') }
  return {
    config: resolveConfig([{ host: 'localhost', port: 9092 }], { url: 'kafka://x', connectTimeoutMs, logger }),
    lines,
  }
}

describe('the Kafka fault table', () => {
  it('has a kind for every protocol error of the client library', () => {
    for (const definition of Object.values(protocolErrors)) {
      if (definition.code === 0) continue
      expect(KAFKA_ERROR_KINDS.has(definition.id), definition.id).toBe(true)
    }
  })

  it('retries leader elections, coordinator moves, network errors and timeouts', () => {
    for (const id of [
      'LEADER_NOT_AVAILABLE',
      'NOT_LEADER_OR_FOLLOWER',
      'NOT_COORDINATOR',
      'COORDINATOR_LOAD_IN_PROGRESS',
      'COORDINATOR_NOT_AVAILABLE',
      'REQUEST_TIMED_OUT',
      'NETWORK_EXCEPTION',
      'BROKER_NOT_AVAILABLE',
      'NOT_ENOUGH_REPLICAS',
    ]) {
      expect(classify(new ProtocolError(id)), id).toEqual({ kind: 'retriable', id })
    }
    expect(classify(new NetworkError('Connection closed')).kind).toBe('retriable')
    expect(classify(new NetworkError('failed', { cause: systemError('ECONNREFUSED') })).kind).toBe('retriable')
    expect(classify(new TimeoutError('Request timed out')).kind).toBe('retriable')
  })

  it('reports configuration errors as such', () => {
    expect(classify(new ProtocolError('UNSUPPORTED_SASL_MECHANISM')).kind).toBe('auth')
    expect(classify(new ProtocolError('SASL_AUTHENTICATION_FAILED')).kind).toBe('auth')
    expect(classify(new AuthenticationError('SASL authentication failed.')).kind).toBe('auth')
    expect(classify(new ProtocolError('TOPIC_AUTHORIZATION_FAILED')).kind).toBe('authorization')
    expect(classify(new NetworkError('Connection to x:1 failed.', { cause: systemError('ENOTFOUND') }))).toEqual({
      kind: 'host',
      id: 'ENOTFOUND',
    })
    expect(classify(new NetworkError('Client is closed.', { canRetry: false, closed: true })).kind).toBe('closed')
    expect(classify(new ProtocolError('MESSAGE_TOO_LARGE')).kind).toBe('fatal')
  })

  it('judges retry aggregates by the last attempt, responses by their worst error', () => {
    const retries = new MultipleErrors('produce failed 3 times.', [
      new ProtocolError('TOPIC_AUTHORIZATION_FAILED'),
      new NetworkError('Connection closed'),
    ])
    expect(classify(retries).kind).toBe('retriable')
    const response = new ResponseError(
      0,
      9,
      { '/topics/0/partitions/0': [6, null], '/topics/0/partitions/1': [10, null] },
      {},
    )
    expect(classify(response)).toEqual({ kind: 'fatal', id: 'MESSAGE_TOO_LARGE' })
  })

  it('maps each kind to a typed error code', () => {
    const { config: c } = config()
    const code = (error: unknown) => toTransportError(c, 'op', error).code
    expect(code(new ProtocolError('LEADER_NOT_AVAILABLE'))).toBe('FST_BROKER_UNAVAILABLE')
    expect(code(new ProtocolError('UNSUPPORTED_SASL_MECHANISM'))).toBe('FST_BROKER_SASL_MECHANISM')
    expect(code(new ProtocolError('GROUP_AUTHORIZATION_FAILED'))).toBe('FST_BROKER_NOT_AUTHORIZED')
    expect(code(new NetworkError('x', { cause: systemError('ENOTFOUND') }))).toBe('FST_BROKER_HOST_UNKNOWN')
    expect(code(new NetworkError('Client is closed.', { closed: true }))).toBe('FST_TRANSPORT_CLOSED')
    expect(code(new UserError('bad'))).toBe('FST_TRANSPORT')
  })
})

describe('withRetries', () => {
  function failing(times: number, error: () => Error) {
    let calls = 0
    return async () => {
      calls++
      if (calls <= times) throw error()
      return calls
    }
  }

  it('gives up on a retriable fault at the connect deadline before the first connect', async () => {
    const { config: c } = config(50)
    const error = await withRetries(
      c,
      'op',
      failing(5, () => new ProtocolError('LEADER_NOT_AVAILABLE')),
    ).catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_BROKER_UNAVAILABLE')).toBe(true)
  })

  it('once connected, retries past the connect deadline, logging and counting each retry', async () => {
    const { config: c, lines } = config(50)
    c.faults.connected = true
    const result = await withRetries(
      c,
      'op',
      failing(4, () => new ProtocolError('LEADER_NOT_AVAILABLE')),
    )
    expect(result).toBe(5)
    expect(lines.filter((line) => line.includes('LEADER_NOT_AVAILABLE'))).toHaveLength(4)
    expect(c.faults.stats.toJSON()).toEqual({ total: 4, byError: { LEADER_NOT_AVAILABLE: 4 }, byOperation: { op: 4 } })
  })

  it('retries soon once the broker answers again after connections failed (a restart), not after the long backoff', async () => {
    const { config: c, lines } = config(50)
    c.faults.connected = true
    let calls = 0
    const result = await withRetries(c, 'op', async () => {
      calls++
      if (calls <= 4) throw new NetworkError('failed', { cause: systemError('ECONNREFUSED') })
      if (calls <= 6) throw new ProtocolError('NOT_COORDINATOR')
      return calls
    })
    expect(result).toBe(7)
    const delays = lines.map((line) => Number(/retrying in (\d+) ms/.exec(line)?.[1]))
    // 100 ms doubling while the broker is away; from its first answer, 100 ms again (a coordinator still loading is
    // retried every 100 ms).
    expect(delays).toEqual([100, 200, 400, 800, 100, 100])
  })

  it('retries a busy coordinator every 100 ms (a transaction ending every 20 ms), others with backoff to 1 s', () => {
    expect([1, 2, 3, 4, 5, 6, 9].map((attempt) => retryDelayMs(attempt, 'COORDINATOR_LOAD_IN_PROGRESS'))).toEqual([
      100, 100, 100, 100, 100, 100, 100,
    ])
    expect([1, 2, 3, 9].map((attempt) => retryDelayMs(attempt, 'CONCURRENT_TRANSACTIONS'))).toEqual([20, 20, 20, 20])
    // Met after most exactly-once commits: counted, logged at debug, not as a warning.
    expect(retryLogLevel('CONCURRENT_TRANSACTIONS')).toBe('debug')
    expect(retryLogLevel('NOT_COORDINATOR')).toBe('warn')
    expect([1, 2, 3, 4, 5, 6, 9].map((attempt) => retryDelayMs(attempt, 'NETWORK'))).toEqual([
      100, 200, 400, 800, 1000, 1000, 1000,
    ])
  })

  it('retries leadership settling after a restart every 100 ms at first, then with backoff (our own retries)', () => {
    expect([1, 2, 5, 10, 11, 12].map((attempt) => answeredRetryDelayMs(attempt, 'UNKNOWN_LEADER_EPOCH'))).toEqual([
      100, 100, 100, 100, 1000, 1000,
    ])
    expect([1, 2, 3, 4, 5].map((attempt) => answeredRetryDelayMs(attempt, 'NETWORK'))).toEqual([
      100, 200, 400, 800, 1000,
    ])
    // The library's own bounded retries keep the backoff that spans the connect deadline.
    expect([1, 2, 3].map((attempt) => retryDelayMs(attempt, 'UNKNOWN_LEADER_EPOCH'))).toEqual([100, 200, 400])
  })

  it('fails at once on a configuration error', async () => {
    const { config: c } = config(60_000)
    c.faults.connected = true
    const error = await withRetries(
      c,
      'op',
      failing(1, () => new ProtocolError('SASL_AUTHENTICATION_FAILED')),
    ).catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_BROKER_AUTH_FAILED')).toBe(true)
    expect(c.faults.stats.total).toBe(0)
  })
})
