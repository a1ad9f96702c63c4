// SASL_SSL with SCRAM-SHA-512 (the usual managed-Kafka setup) on a broker of this file's own: an agent, a table with
// changelog and recovery, ask across two processes; then every configuration failure typed and at once; then no
// password or private key in any output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KafkaCluster } from '../../scripts/kafka/index.ts'
import { KafkaTransport, type KafkaTransportOptions } from '../../src/transport/kafka/index.ts'
import {
  codeOptions,
  expectNoSecrets,
  killChildren,
  runExactlyOnce,
  runScenario,
  seen,
  startSecured,
} from './secure-helpers.ts'

let cluster: KafkaCluster

/** An unsigned JWT, as the broker's built-in unsecured OAUTHBEARER validator accepts. */
function unsecuredJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none' })}.${part(claims)}.`
}

beforeAll(async () => {
  cluster = await startSecured('sasl-ssl')
})

afterAll(async () => {
  killChildren()
  await cluster?.stop()
})

/** Connects with `options`; returns the error code and how long it took to arrive. */
async function failure(options: KafkaTransportOptions): Promise<{ code: string; ms: number; message: string }> {
  const started = Date.now()
  const transport = new KafkaTransport(options)
  try {
    await transport.connect()
    await transport.ensureTopics([{ name: `sec-probe-${started}`, partitions: 1, replicas: 1 }])
  } catch (error) {
    const e = error as { code: string; message: string }
    seen.push(e.message, String((error as Error).stack))
    return { code: e.code, ms: Date.now() - started, message: e.message }
  } finally {
    await transport.close()
  }
  throw new Error('connected although it should not have')
}

describe('SASL_SSL (SCRAM-SHA-512) broker', () => {
  it('runs an agent, a table with changelog and recovery, and ask across two processes', async () => {
    await runScenario(cluster)
  }, 600_000)

  it('exactly-once: a relaying agent killed with SIGKILL mid-stream, exactly one committed output per input', async () => {
    await runExactlyOnce(cluster)
  }, 600_000)

  it('SCRAM-SHA-256 works too', async () => {
    const s = cluster.security!
    const transport = new KafkaTransport(
      codeOptions(cluster, { sasl: { mechanism: 'SCRAM-SHA-256', username: s.username, password: s.password } }),
    )
    try {
      await transport.connect()
    } finally {
      await transport.close()
    }
  })

  it('OAUTHBEARER uses the token provider for its connections; a rejected token is FST_BROKER_AUTH_FAILED', async () => {
    let calls = 0
    const token = async () => {
      calls++
      return unsecuredJwt({
        sub: 'faustus',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 600,
      })
    }
    const transport = new KafkaTransport(codeOptions(cluster, { sasl: { mechanism: 'OAUTHBEARER', token } }))
    try {
      await transport.connect()
      await transport.ensureTopics([{ name: `sec-oauth-${Date.now()}`, partitions: 1, replicas: 1 }])
    } finally {
      await transport.close()
    }
    expect(calls).toBeGreaterThan(0)
    const expired = unsecuredJwt({ sub: 'faustus', iat: 1, exp: 2 })
    const result = await failure(codeOptions(cluster, { sasl: { mechanism: 'OAUTHBEARER', token: expired } }))
    expect(result.code).toBe('FST_BROKER_AUTH_FAILED')
    expect(result.ms).toBeLessThan(5_000)
  })

  it('a wrong password is FST_BROKER_AUTH_FAILED within 5 s', async () => {
    const s = cluster.security!
    const result = await failure(
      codeOptions(cluster, { sasl: { mechanism: 'SCRAM-SHA-512', username: s.username, password: 'not-it' } }),
    )
    expect(result.code).toBe('FST_BROKER_AUTH_FAILED')
    expect(result.ms).toBeLessThan(5_000)
  })

  it('a mechanism the broker does not enable is FST_BROKER_SASL_MECHANISM within 5 s', async () => {
    const s = cluster.security!
    const result = await failure(
      codeOptions(cluster, { sasl: { mechanism: 'PLAIN', username: s.username, password: s.password } }),
    )
    expect(result.code).toBe('FST_BROKER_SASL_MECHANISM')
    expect(result.ms).toBeLessThan(5_000)
  })

  it('an unknown mechanism name is FST_SETTING_INVALID naming brokerSasl.mechanism', () => {
    expect(() => new KafkaTransport(codeOptions(cluster, { sasl: { mechanism: 'GSSAPI' as never } }))).toThrow(
      expect.objectContaining({
        code: 'FST_SETTING_INVALID',
        message: expect.stringContaining('brokerSasl.mechanism'),
      }),
    )
  })

  it('an untrusted certificate is FST_BROKER_TLS_UNTRUSTED within 5 s', async () => {
    const result = await failure(codeOptions(cluster, { tls: { caFile: cluster.security!.otherCaFile } }))
    expect(result.code).toBe('FST_BROKER_TLS_UNTRUSTED')
    expect(result.ms).toBeLessThan(5_000)
  })

  it('a host name the certificate does not carry is FST_BROKER_TLS_HOSTNAME within 5 s', async () => {
    const result = await failure(
      codeOptions(cluster, { tls: { caFile: cluster.security!.caFile, servername: 'not-the-broker.example' } }),
    )
    expect(result.code).toBe('FST_BROKER_TLS_HOSTNAME')
    expect(result.ms).toBeLessThan(5_000)
  })

  it('TLS to a plaintext port is FST_BROKER_TLS_HANDSHAKE within 5 s', async () => {
    const result = await failure(codeOptions(cluster, { url: `kafka://${cluster.plaintextBootstrap}` }))
    expect(result.code).toBe('FST_BROKER_TLS_HANDSHAKE')
    expect(result.ms).toBeLessThan(5_000)
  })

  it('no password or private key appears in trace logs or error messages', () => {
    expectNoSecrets(cluster)
  })
})
