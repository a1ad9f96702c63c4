// Client security options: PEM files read and checked, errors naming the setting and never the secret; failures of
// SASL and TLS found in the library's error chains and typed as configuration errors (never retried).
import { EventEmitter } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveSettings } from '../../src/app/settings.ts'
import {
  findSecurityFailure,
  resolveSasl,
  resolveTls,
  securityFailureOf,
  watchConnections,
} from '../../src/transport/kafka/security.ts'

const dir = mkdtempSync(join(tmpdir(), 'faustus-sec-'))
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'
const KEY = '-----BEGIN PRIVATE KEY-----\nSECRETKEYBODY\n-----END PRIVATE KEY-----\n'
writeFileSync(join(dir, 'ca.pem'), PEM)
writeFileSync(join(dir, 'client.pem'), PEM)
writeFileSync(join(dir, 'client.key'), KEY)
writeFileSync(join(dir, 'not.pem'), 'hunter2-not-a-pem')

function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn()
  } catch (error) {
    return error as Error & { code?: string }
  }
  throw new Error('did not throw')
}

describe('TLS options', () => {
  it('reads PEM files and keeps hostname verification on', () => {
    const tls = resolveTls({
      caFile: join(dir, 'ca.pem'),
      certFile: join(dir, 'client.pem'),
      keyFile: join(dir, 'client.key'),
    })
    expect(tls).toEqual({ ca: PEM, cert: PEM, key: KEY })
    expect(tls).not.toHaveProperty('rejectUnauthorized')
    expect(tls).not.toHaveProperty('checkServerIdentity')
  })

  it('names the setting for unreadable or non-PEM files, never echoing the contents', () => {
    const missing = thrown(() => resolveTls({ caFile: join(dir, 'nope.pem') }))
    expect(missing.code).toBe('FST_SETTING_INVALID')
    expect(missing.message).toContain('brokerSsl.caFile')
    const bad = thrown(() => resolveTls({ keyFile: join(dir, 'not.pem'), certFile: join(dir, 'client.pem') }))
    expect(bad.message).toContain('brokerSsl.keyFile')
    expect(bad.message).not.toContain('hunter2')
    const inline = thrown(() => resolveTls({ key: 'hunter2', cert: PEM }))
    expect(inline.message).toContain('brokerSsl.key')
    expect(inline.message).not.toContain('hunter2')
  })

  it('refuses a certificate without its key and turning verification off', () => {
    expect(thrown(() => resolveTls({ cert: PEM })).code).toBe('FST_SETTING_INVALID')
    expect(thrown(() => resolveTls({ rejectUnauthorized: false })).message).toContain('brokerSsl.rejectUnauthorized')
  })
})

describe('SASL options', () => {
  it('checks the mechanism and the credentials it needs', () => {
    expect(thrown(() => resolveSasl({ mechanism: 'GSSAPI' as never })).message).toContain('brokerSasl.mechanism')
    const noPassword = thrown(() => resolveSasl({ mechanism: 'SCRAM-SHA-512', username: 'u' }))
    expect(noPassword.message).toContain('brokerSasl.password')
    expect(thrown(() => resolveSasl({ mechanism: 'OAUTHBEARER' })).message).toContain('brokerSasl.token')
    const provider = async () => 'token'
    expect(resolveSasl({ mechanism: 'OAUTHBEARER', token: provider })?.token).toBe(provider)
  })

  it('settings from FAUSTUS_* variables: PEM paths and SASL as JSON; a bad value never echoes the password', () => {
    const settings = resolveSettings(
      {},
      {
        FAUSTUS_BROKER_SSL: JSON.stringify({ caFile: join(dir, 'ca.pem') }),
        FAUSTUS_BROKER_SASL: JSON.stringify({ mechanism: 'SCRAM-SHA-256', username: 'u', password: 'pw-123456' }),
      },
    )
    expect(settings.brokerSsl).toEqual({ caFile: join(dir, 'ca.pem') })
    expect(settings.brokerSasl?.mechanism).toBe('SCRAM-SHA-256')
    const error = thrown(() =>
      resolveSettings(
        {},
        { FAUSTUS_BROKER_SASL: JSON.stringify({ mechanism: 'NOPE', username: 'u', password: 'pw-123456' }) },
      ),
    )
    expect(error.code).toBe('FST_SETTING_INVALID')
    expect(error.message).toContain('brokerSasl')
    expect(`${error.message} ${JSON.stringify(error)}`).not.toContain('pw-123456')
  })
})

describe('classifying failures', () => {
  const wrap = (inner: Error) => {
    const network = Object.assign(new Error('Connection to 127.0.0.1:9092 failed.'), {
      code: 'PLT_KFK_NETWORK',
      cause: inner,
    })
    return Object.assign(new Error('Cannot connect to any broker.'), { code: 'PLT_KFK_MULTIPLE', errors: [network] })
  }
  it.each([
    [
      Object.assign(new Error('SASL authentication failed.'), { code: 'PLT_KFK_AUTHENTICATION' }),
      'FST_BROKER_AUTH_FAILED',
    ],
    [
      Object.assign(new Error('Cannot find a suitable SASL mechanism.'), { code: 'PLT_KFK_AUTHENTICATION' }),
      'FST_BROKER_SASL_MECHANISM',
    ],
    [
      Object.assign(new Error('unable to verify'), { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }),
      'FST_BROKER_TLS_UNTRUSTED',
    ],
    [Object.assign(new Error('altnames'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'FST_BROKER_TLS_HOSTNAME'],
    [Object.assign(new Error('TLS handshake failed.'), { code: 'PLT_KFK_USER' }), 'FST_BROKER_TLS_HANDSHAKE'],
    // TLS 1.3: the broker's alert about a missing or untrusted client certificate (Java: 42, OpenSSL: 116).
    [
      Object.assign(new Error('ssl/tls alert bad certificate'), { code: 'ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE' }),
      'FST_BROKER_TLS_CLIENT_CERT',
    ],
    [
      Object.assign(new Error('tlsv13 alert certificate required'), {
        code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
      }),
      'FST_BROKER_TLS_CLIENT_CERT',
    ],
    [
      Object.assign(new Error('wrong version number'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }),
      'FST_BROKER_TLS_HANDSHAKE',
    ],
  ])('%s is %s', (inner, code) => {
    expect(findSecurityFailure(wrap(inner))?.code).toBe(code)
  })
  it('an alert on an established connection explains the bare "Connection closed" of its owner only', () => {
    const pool = new EventEmitter()
    const owner = {}
    watchConnections(owner, pool, 'connect')
    const connection = new EventEmitter()
    pool.emit('connect', { connection })
    const closed = Object.assign(new Error('Connection closed'), { code: 'PLT_KFK_NETWORK' })
    expect(securityFailureOf(owner, closed)).toBeUndefined()
    const alert = Object.assign(new Error('alert'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' })
    connection.emit('error', Object.assign(new Error('Connection error'), { code: 'PLT_KFK_NETWORK', cause: alert }))
    expect(securityFailureOf(owner, closed)?.code).toBe('FST_BROKER_TLS_CLIENT_CERT')
    // Another transport's lost connection, or a failure that is not a lost connection, is not explained by it.
    expect(securityFailureOf({}, closed)).toBeUndefined()
    expect(securityFailureOf(owner, new Error('UNKNOWN_TOPIC_OR_PARTITION'))).toBeUndefined()
  })
  it('a refused connection is not a configuration failure', () => {
    expect(findSecurityFailure(wrap(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })))).toBeUndefined()
  })
})
