// Secured listeners for the test broker: a throwaway CA and certificates (openssl), SCRAM users (StorageTool format
// --add-scram, the broker's own tool in KRaft), PLAIN users (JAAS), and the client settings to use.
//
// The node's PLAINTEXT listener stays (loopback only) for the controller quorum, inter-broker traffic and the
// readiness check; clients get the secured listener's address and nothing else.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const SECURITY_MODES = ['plaintext', 'tls', 'sasl-plain', 'sasl-scram', 'sasl-ssl'] as const
export type SecurityMode = (typeof SECURITY_MODES)[number]

export function isSecurityMode(value: string): value is SecurityMode {
  return (SECURITY_MODES as readonly string[]).includes(value)
}

/** What a client needs to connect to the secured listener (also written to `<state dir>/security/client.json`). */
export interface ClientSecurity {
  mode: SecurityMode
  /** Kafka security protocol of the client listener. */
  protocol: 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL'
  /** PEM files (paths) for TLS modes: the CA that signed the broker, and for `tls` a client certificate and key. */
  caFile?: string
  certFile?: string
  keyFile?: string
  /** A CA that did not sign the broker: for "untrusted certificate" tests. */
  otherCaFile?: string
  /** SASL modes: the mechanism and a user the broker knows. SCRAM users exist for SHA-256 and SHA-512. */
  mechanism?: 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512'
  username?: string
  password?: string
}

/** Everything the broker side needs, kept in the state dir. */
export interface SecuritySetup {
  client: ClientSecurity
  /** Extra server.properties entries for a node with secured listener `port`. */
  properties(port: number, plaintextPort: number, controllerPort: number): Record<string, string | number | boolean>
  /** Extra arguments of `StorageTool format` (SCRAM credentials). */
  formatArgs: string[]
}

const protocols: Record<Exclude<SecurityMode, 'plaintext'>, ClientSecurity['protocol']> = {
  tls: 'SSL',
  'sasl-plain': 'SASL_PLAINTEXT',
  'sasl-scram': 'SASL_PLAINTEXT',
  'sasl-ssl': 'SASL_SSL',
}

function run(cmd: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${cmd} ${args[0]} failed: ${error.message}\n${stdout}${stderr}`))
      else resolve()
    })
  })
}

const secret = (): string => randomBytes(12).toString('base64url')

/** A self-signed CA: `<name>.pem` and `<name>.key`. */
async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-days',
      '3',
      '-subj',
      `/CN=${cn}`,
    ],
    dir,
  )
}

/** A certificate `<name>.pem` with key `<name>.key` (PKCS#8, unencrypted) signed by `ca`, valid for loopback names. */
async function makeCert(dir: string, name: string, cn: string, ca: string): Promise<void> {
  await run(
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`],
    dir,
  )
  await writeFile(join(dir, `${name}.ext`), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n')
  await run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.pem`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '3',
      '-extfile',
      `${name}.ext`,
    ],
    dir,
  )
}

/** Generate certificates and credentials in `<stateDir>/security` for `mode`. */
export async function prepareSecurity(
  stateDir: string,
  mode: Exclude<SecurityMode, 'plaintext'>,
): Promise<SecuritySetup> {
  const dir = join(stateDir, 'security')
  await mkdir(dir, { recursive: true })
  const protocol = protocols[mode]
  const ssl = protocol !== 'SASL_PLAINTEXT'
  const sasl = protocol !== 'SSL'
  const client: ClientSecurity = { mode, protocol }
  const props: Record<string, string | number | boolean> = {}
  const formatArgs: string[] = []
  const listener = protocol.toLowerCase()

  if (ssl) {
    await makeCa(dir, 'ca', 'Faustus throwaway CA')
    await makeCa(dir, 'other-ca', 'Faustus untrusted CA')
    await makeCert(dir, 'broker', 'localhost', 'ca')
    const storePassword = secret()
    await run(
      'openssl',
      [
        'pkcs12',
        '-export',
        '-in',
        'broker.pem',
        '-inkey',
        'broker.key',
        '-out',
        'broker.p12',
        '-name',
        'broker',
        '-passout',
        `pass:${storePassword}`,
      ],
      dir,
    )
    Object.assign(props, {
      'ssl.keystore.type': 'PKCS12',
      'ssl.keystore.location': join(dir, 'broker.p12'),
      'ssl.keystore.password': storePassword,
      'ssl.key.password': storePassword,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': join(dir, 'ca.pem'),
      'ssl.endpoint.identification.algorithm': 'https',
      // Mutual TLS for the `tls` mode; SASL_SSL authenticates with SASL instead.
      'ssl.client.auth': mode === 'tls' ? 'required' : 'none',
    })
    client.caFile = join(dir, 'ca.pem')
    client.otherCaFile = join(dir, 'other-ca.pem')
    if (mode === 'tls') {
      await makeCert(dir, 'client', 'faustus-client', 'ca')
      client.certFile = join(dir, 'client.pem')
      client.keyFile = join(dir, 'client.key')
    }
  }

  if (sasl) {
    const username = 'faustus'
    const password = secret()
    if (mode === 'sasl-plain') {
      props['sasl.enabled.mechanisms'] = 'PLAIN'
      props[`listener.name.${listener}.plain.sasl.jaas.config`] =
        `org.apache.kafka.common.security.plain.PlainLoginModule required user_${username}="${password}";`
      client.mechanism = 'PLAIN'
    } else {
      // sasl-ssl also accepts OAUTHBEARER with the broker's built-in validator of unsecured (unsigned) JWTs: enough
      // to prove a client's token provider is used, never a production setup.
      props['sasl.enabled.mechanisms'] = `SCRAM-SHA-256,SCRAM-SHA-512${mode === 'sasl-ssl' ? ',OAUTHBEARER' : ''}`
      if (mode === 'sasl-ssl') {
        props[`listener.name.${listener}.oauthbearer.sasl.jaas.config`] =
          'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;'
      }
      for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512']) {
        props[`listener.name.${listener}.${mechanism.toLowerCase()}.sasl.jaas.config`] =
          'org.apache.kafka.common.security.scram.ScramLoginModule required;'
        formatArgs.push('--add-scram', `${mechanism}=[name=${username},password=${password}]`)
      }
      client.mechanism = 'SCRAM-SHA-512'
    }
    client.username = username
    client.password = password
  }

  await writeFile(join(dir, 'client.json'), `${JSON.stringify(client, null, 2)}\n`, { mode: 0o600 })
  return {
    client,
    formatArgs,
    properties: (port, plaintextPort, controllerPort) => ({
      ...props,
      listeners: `PLAINTEXT://127.0.0.1:${plaintextPort},${protocol}://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${plaintextPort},${protocol}://127.0.0.1:${port}`,
      'listener.security.protocol.map': `PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,${protocol}:${protocol}`,
    }),
  }
}

/** The client settings of a started secured broker, or undefined for a plaintext one. */
export async function readClientSecurity(stateDir: string): Promise<ClientSecurity | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, 'security', 'client.json'), 'utf8')) as ClientSecurity
  } catch {
    return undefined
  }
}

/** The `FAUSTUS_*` variables a worker needs for `client` (printed by `npm run kafka -- start --security`). */
export function clientEnv(client: ClientSecurity, bootstrap: string): Record<string, string> {
  const env: Record<string, string> = { FAUSTUS_BROKER: `kafka://${bootstrap}` }
  if (client.protocol !== 'SASL_PLAINTEXT') {
    const ssl: Record<string, string> = {}
    if (client.caFile) ssl.caFile = client.caFile
    if (client.certFile) ssl.certFile = client.certFile
    if (client.keyFile) ssl.keyFile = client.keyFile
    env.FAUSTUS_BROKER_SSL = JSON.stringify(ssl)
  }
  if (client.mechanism) {
    const { mechanism, username, password } = client
    env.FAUSTUS_BROKER_SASL = JSON.stringify({ mechanism, username, password })
  }
  return env
}
