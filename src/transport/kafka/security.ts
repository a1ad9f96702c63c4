// TLS and SASL for every connection the driver opens: options from code, files or the environment resolved once and
// validated (errors name the setting, never a secret), and failures of the handshake classified as configuration
// errors so they are reported at once instead of being retried as an outage.
import { readFileSync } from 'node:fs'
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls'
import { type ErrorCode, SettingError, TransportError } from '../../errors.ts'
import { errorTree } from './error-tree.ts'

export type SaslMechanism = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512' | 'OAUTHBEARER'
export const SASL_MECHANISMS: readonly SaslMechanism[] = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER']

/** A token for OAUTHBEARER: a string, or a function giving a fresh one (called for every new connection). */
export type TokenProvider = () => string | Promise<string>

export interface KafkaSaslOptions {
  mechanism: SaslMechanism
  /** PLAIN and SCRAM. */
  username?: string
  password?: string
  /** OAUTHBEARER: the token, or a provider of tokens (yours: Faustus does not fetch tokens itself). */
  token?: string | TokenProvider
  /** OAUTHBEARER: SASL extensions (e.g. a managed service's logical cluster id). */
  oauthBearerExtensions?: Record<string, string>
}

/** Node TLS options plus PEM file paths (read once at start). Hostname verification stays on unless you pass `checkServerIdentity`. */
export interface KafkaTlsOptions extends TlsConnectionOptions {
  caFile?: string
  certFile?: string
  keyFile?: string
}

function settingError(name: string, message: string): SettingError {
  return new SettingError('FST_SETTING_INVALID', `invalid setting ${name}: ${message}`, { details: { name } })
}

function readPem(setting: string, path: string): string {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw settingError(setting, `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  if (!text.includes('-----BEGIN ')) throw settingError(setting, `${path} is not a PEM file`)
  return text
}

function checkPem(setting: string, value: unknown): void {
  if (value === undefined) return
  const values = Array.isArray(value) ? value : [value]
  for (const v of values) {
    const text = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('utf8') : undefined
    // Contents are never echoed: a key is a secret and a mistaken value may be one.
    if (text !== undefined && !text.includes('-----BEGIN ')) throw settingError(setting, 'is not PEM text')
  }
}

/** TLS options for the client: file paths read, PEM checked, a certificate requiring its key and back. */
export function resolveTls(
  tls: boolean | KafkaTlsOptions | undefined,
  name = 'brokerSsl',
): TlsConnectionOptions | undefined {
  if (tls === undefined || tls === false) return undefined
  if (tls === true) return {}
  if (typeof tls !== 'object' || tls === null) throw settingError(name, 'must be true or an object of TLS options')
  const { caFile, certFile, keyFile, ...rest } = tls
  const options: TlsConnectionOptions = { ...rest }
  if (caFile !== undefined) {
    if (rest.ca !== undefined) throw settingError(`${name}.caFile`, `give either ${name}.ca or ${name}.caFile`)
    options.ca = readPem(`${name}.caFile`, caFile)
  }
  if (certFile !== undefined) {
    if (rest.cert !== undefined) throw settingError(`${name}.certFile`, `give either ${name}.cert or ${name}.certFile`)
    options.cert = readPem(`${name}.certFile`, certFile)
  }
  if (keyFile !== undefined) {
    if (rest.key !== undefined) throw settingError(`${name}.keyFile`, `give either ${name}.key or ${name}.keyFile`)
    options.key = readPem(`${name}.keyFile`, keyFile)
  }
  checkPem(`${name}.ca`, options.ca)
  checkPem(`${name}.cert`, options.cert)
  checkPem(`${name}.key`, options.key)
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw settingError(
      name,
      'a client certificate (cert/certFile) needs its key (key/keyFile), and a key its certificate',
    )
  }
  if (options.rejectUnauthorized === false) {
    throw settingError(
      `${name}.rejectUnauthorized`,
      'Faustus always verifies the broker certificate; give its CA as ca/caFile',
    )
  }
  return options
}

/** SASL options checked: a known mechanism and the credentials it needs. */
export function resolveSasl(sasl: KafkaSaslOptions | undefined, name = 'brokerSasl'): KafkaSaslOptions | undefined {
  if (sasl === undefined) return undefined
  if (typeof sasl !== 'object' || sasl === null) throw settingError(name, 'must be an object')
  if (!SASL_MECHANISMS.includes(sasl.mechanism)) {
    const got = typeof sasl.mechanism === 'string' ? ` (got "${String(sasl.mechanism).slice(0, 40)}")` : ''
    throw settingError(`${name}.mechanism`, `must be one of ${SASL_MECHANISMS.join(', ')}${got}`)
  }
  if (sasl.mechanism === 'OAUTHBEARER') {
    if (typeof sasl.token !== 'string' && typeof sasl.token !== 'function') {
      throw settingError(`${name}.token`, 'OAUTHBEARER needs a token or a token provider function')
    }
  } else {
    if (typeof sasl.username !== 'string' || sasl.username === '') {
      throw settingError(`${name}.username`, `${sasl.mechanism} needs a username`)
    }
    if (typeof sasl.password !== 'string' || sasl.password === '') {
      throw settingError(`${name}.password`, `${sasl.mechanism} needs a password`)
    }
  }
  return sasl
}

const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
])

// Alerts the broker sends about our client certificate. Under TLS 1.3 the server checks the client certificate
// after the client's handshake is complete, so the alert arrives on the first read of an established connection
// (Java brokers send bad_certificate (42) for a missing one; OpenSSL servers certificate_required (116)).
const CLIENT_CERT_ALERT =
  /^ERR_SSL_(?:SSL\/TLS|SSLV3|TLSV1|TLSV13)_ALERT_(?:BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|UNSUPPORTED_CERTIFICATE|CERTIFICATE_EXPIRED|CERTIFICATE_REVOKED)$/

interface Found {
  code: ErrorCode
  reason: string
}

function classifyOne(error: Error): Found | undefined {
  const { code, apiId } = error as { code?: unknown; apiId?: unknown }
  const message = error.message
  if (apiId === 'UNSUPPORTED_SASL_MECHANISM' || /suitable SASL mechanism/i.test(message)) {
    return { code: 'FST_BROKER_SASL_MECHANISM', reason: 'the broker does not enable this SASL mechanism' }
  }
  if (code === 'PLT_KFK_AUTHENTICATION' || apiId === 'SASL_AUTHENTICATION_FAILED') {
    return { code: 'FST_BROKER_AUTH_FAILED', reason: 'the broker refused the SASL credentials' }
  }
  if (typeof code !== 'string') return undefined
  if (UNTRUSTED.has(code)) {
    return { code: 'FST_BROKER_TLS_UNTRUSTED', reason: `the broker certificate is not trusted (${code})` }
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return { code: 'FST_BROKER_TLS_HOSTNAME', reason: 'the broker certificate does not name this host' }
  }
  if (CLIENT_CERT_ALERT.test(code)) {
    return {
      code: 'FST_BROKER_TLS_CLIENT_CERT',
      reason: `the broker refused the client certificate (${code.replace(/^ERR_SSL_[^_]+_ALERT_/, '').toLowerCase()}): give brokerSsl.certFile and keyFile, signed by a CA the broker trusts`,
    }
  }
  if (/^ERR_SSL_/.test(code) || (code === 'PLT_KFK_USER' && /TLS handshake/i.test(message))) {
    return {
      code: 'FST_BROKER_TLS_HANDSHAKE',
      reason: `TLS handshake failed (${code === 'PLT_KFK_USER' ? 'is this a TLS port?' : code})`,
    }
  }
  return undefined
}

/** The configuration failure (SASL refused, TLS not trusted...) anywhere in `error`'s causes, if any. */
export function findSecurityFailure(error: unknown): Found | undefined {
  for (const e of errorTree(error, isError)) {
    const found = classifyOne(e as Error)
    if (found) return found
  }
  return undefined
}

const isError = (e: object): boolean => e instanceof Error

interface ConnectionEvents {
  on(event: 'error', listener: (error: unknown) => void): unknown
}
interface PoolEvents {
  on(event: string, listener: (payload: { connection: ConnectionEvents }) => void): unknown
}

/** Configuration failures seen on established connections, per owner (the transport's config), with when. */
const alerts = new WeakMap<object, { found: Found; at: number }>()
/** How long a noted alert explains a lost connection of the same owner. */
const ALERT_VALID_MS = 30_000

/**
 * Watches the connections `pool` (a library client: `client:broker:connect`; a connection pool: `connect`) opens for
 * `owner`: the library turns a TLS alert on an established connection into a bare "Connection closed" for the
 * request in flight, so the alert is noted here and `securityFailureOf` names it.
 */
export function watchConnections(owner: object, pool: PoolEvents, event = 'client:broker:connect'): void {
  pool.on(event, ({ connection }) => {
    connection.on('error', (error) => {
      const found = findSecurityFailure(error)
      if (found) alerts.set(owner, { found, at: Date.now() })
    })
  })
}

function isConnectionLoss(error: unknown): boolean {
  for (const e of errorTree(error, isError)) {
    const { code } = e as { code?: unknown }
    if (code === 'PLT_KFK_NETWORK' || code === 'PLT_KFK_TIMEOUT' || code === 'ECONNRESET' || code === 'EPIPE') {
      return true
    }
  }
  return false
}

/** The configuration failure behind `error`: in its causes, or a TLS alert `owner`'s connections got just before. */
export function securityFailureOf(owner: object, error: unknown): Found | undefined {
  const found = findSecurityFailure(error)
  if (found) return found
  const alert = alerts.get(owner)
  if (alert && Date.now() - alert.at < ALERT_VALID_MS && isConnectionLoss(error)) return alert.found
  return undefined
}

/** A typed, non-retriable error for a configuration failure in `error` (or noted for `owner`), or undefined. */
export function securityError(
  address: string,
  what: string,
  error: unknown,
  owner?: object,
): TransportError | undefined {
  const found = owner ? securityFailureOf(owner, error) : findSecurityFailure(error)
  if (!found) return undefined
  return new TransportError(found.code, `Kafka broker ${address}: ${what} failed: ${found.reason}`, {
    cause: error,
    canRetry: false,
    details: { brokers: address, operation: what },
  })
}
