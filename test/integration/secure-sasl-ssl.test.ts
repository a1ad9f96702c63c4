// SASL_SSL with SCRAM-SHA-512 (the usual managed-Kafka setup) on a broker of this file's own: an agent, a table with
// changelog and recovery, ask across two processes; then every configuration failure typed and at once; then no
// password or private key in any output.
import { expect, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { codeOptions, connectFailure, describeSecured, expectNoSecrets } from './secure-helpers.ts'

/** An unsigned JWT, as the broker's built-in unsecured OAUTHBEARER validator accepts. */
function unsecuredJwt(claims: Record<string, unknown>): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  return `${part({ alg: 'none' })}.${part(claims)}.`
}

describeSecured('sasl-ssl', 'SASL_SSL (SCRAM-SHA-512) broker', (cluster) => {
  it('SCRAM-SHA-256 works too', async () => {
    const s = cluster().security!
    const transport = new KafkaTransport(
      codeOptions(cluster(), { sasl: { mechanism: 'SCRAM-SHA-256', username: s.username, password: s.password } }),
    )
    try {
      await transport.connect()
    } finally {
      await transport.close()
    }
  })

  it('OAUTHBEARER uses the token provider for its connections; a rejected token is FST_BROKER_AUTH_FAILED within the 5 s connect deadline', async () => {
    let calls = 0
    const token = async () => {
      calls++
      return unsecuredJwt({
        sub: 'faustus',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 600,
      })
    }
    const transport = new KafkaTransport(codeOptions(cluster(), { sasl: { mechanism: 'OAUTHBEARER', token } }))
    try {
      await transport.connect()
      await transport.ensureTopics([{ name: `sec-oauth-${Date.now()}`, partitions: 1, replicas: 1 }])
    } finally {
      await transport.close()
    }
    expect(calls).toBeGreaterThan(0)
    const expired = unsecuredJwt({ sub: 'faustus', iat: 1, exp: 2 })
    const result = await connectFailure(codeOptions(cluster(), { sasl: { mechanism: 'OAUTHBEARER', token: expired } }))
    expect(result.code).toBe('FST_BROKER_AUTH_FAILED')
  })

  it('a wrong password is FST_BROKER_AUTH_FAILED within the 5 s connect deadline', async () => {
    const s = cluster().security!
    const result = await connectFailure(
      codeOptions(cluster(), { sasl: { mechanism: 'SCRAM-SHA-512', username: s.username, password: 'not-it' } }),
    )
    expect(result.code).toBe('FST_BROKER_AUTH_FAILED')
  })

  it('a mechanism the broker does not enable is FST_BROKER_SASL_MECHANISM within the 5 s connect deadline', async () => {
    const s = cluster().security!
    const result = await connectFailure(
      codeOptions(cluster(), { sasl: { mechanism: 'PLAIN', username: s.username, password: s.password } }),
    )
    expect(result.code).toBe('FST_BROKER_SASL_MECHANISM')
  })

  it('an unknown mechanism name is FST_SETTING_INVALID naming brokerSasl.mechanism', () => {
    expect(() => new KafkaTransport(codeOptions(cluster(), { sasl: { mechanism: 'GSSAPI' as never } }))).toThrow(
      expect.objectContaining({
        code: 'FST_SETTING_INVALID',
        message: expect.stringContaining('brokerSasl.mechanism'),
      }),
    )
  })

  it('an untrusted certificate is FST_BROKER_TLS_UNTRUSTED within the 5 s connect deadline', async () => {
    const result = await connectFailure(codeOptions(cluster(), { tls: { caFile: cluster().security!.otherCaFile } }))
    expect(result.code).toBe('FST_BROKER_TLS_UNTRUSTED')
  })

  it('a host name the certificate does not carry is FST_BROKER_TLS_HOSTNAME within the 5 s connect deadline', async () => {
    const result = await connectFailure(
      codeOptions(cluster(), { tls: { caFile: cluster().security!.caFile, servername: 'not-the-broker.example' } }),
    )
    expect(result.code).toBe('FST_BROKER_TLS_HOSTNAME')
  })

  it('TLS to a plaintext port is FST_BROKER_TLS_HANDSHAKE within the 5 s connect deadline', async () => {
    const result = await connectFailure(codeOptions(cluster(), { url: `kafka://${cluster().plaintextBootstrap}` }))
    expect(result.code).toBe('FST_BROKER_TLS_HANDSHAKE')
  })

  it('no password or private key appears in trace logs or error messages', () => {
    expectNoSecrets(cluster())
  })
})
