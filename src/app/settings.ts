import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { SettingError } from '../errors.ts'

/**
 * Every app setting, with its type, default and meaning. Options given to `new App(id, options)` win over the
 * environment (`FAUSTUS_` + the name in upper snake case, e.g. `FAUSTUS_BROKER`), which wins over defaults; the
 * settings the CLI got as flags (listed in `FAUSTUS_CLI_OVERRIDES`) win over everything.
 */
export const SettingsSchema = Type.Object(
  {
    broker: Type.String({ default: 'memory://', description: 'memory://[name] or kafka://host:port[,host:port]' }),
    version: Type.Integer({ minimum: 1, default: 1, description: 'Bumping it gives a fresh consumer group' }),
    store: Type.String({ default: 'memory://', description: 'Table store: memory:// or lmdb://<dir>' }),
    dataDir: Type.String({ default: '.faustus-data', description: 'Directory for local state' }),
    topicPartitions: Type.Integer({ minimum: 1, default: 8, description: 'Default partitions of new topics' }),
    topicReplicationFactor: Type.Integer({ minimum: 1, default: 1 }),
    topicAllowDeclare: Type.Boolean({ default: true, description: 'Create missing topics at start' }),
    brokerCommitEvery: Type.Integer({ minimum: 1, default: 10_000, description: 'Acks between commits' }),
    brokerCommitIntervalMs: Type.Integer({ minimum: 1, default: 2_800, description: 'Max time between commits' }),
    brokerConnectTimeoutMs: Type.Integer({ minimum: 1, default: 30_000, description: 'Deadline to reach the broker' }),
    brokerClientId: Type.String({ default: 'faustus' }),
    brokerSessionTimeoutMs: Type.Integer({
      minimum: 1,
      default: 45_000,
      description: 'Consumer group session timeout: a silent worker loses its partitions after it',
    }),
    brokerHeartbeatIntervalMs: Type.Integer({
      minimum: 1,
      default: 3_000,
      description: 'Group heartbeat interval; keep it at most a third of the session timeout',
    }),
    brokerRebalanceTimeoutMs: Type.Integer({
      minimum: 1,
      default: 60_000,
      description: 'How long the coordinator waits for members to rejoin in a rebalance',
    }),
    brokerGroupInstanceId: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Static membership (group.instance.id), unique per worker: a restart keeps its partitions',
      }),
    ),
    brokerSsl: Type.Optional(
      Type.Object(
        { ca: Type.Optional(Type.String()), cert: Type.Optional(Type.String()), key: Type.Optional(Type.String()) },
        { additionalProperties: false, description: 'TLS: PEM contents of CA, client cert and key' },
      ),
    ),
    brokerSasl: Type.Optional(
      Type.Object(
        {
          mechanism: Type.Union([Type.Literal('PLAIN'), Type.Literal('SCRAM-SHA-256'), Type.Literal('SCRAM-SHA-512')]),
          username: Type.String(),
          password: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
    producerLingerMs: Type.Integer({ minimum: 0, default: 5 }),
    producerCompression: Type.Union(
      [Type.Literal('none'), Type.Literal('gzip'), Type.Literal('snappy'), Type.Literal('lz4'), Type.Literal('zstd')],
      { default: 'none' },
    ),
    processingGuarantee: Type.Union([Type.Literal('at_least_once'), Type.Literal('exactly_once')], {
      default: 'at_least_once',
    }),
    askTimeoutMs: Type.Integer({ minimum: 1, default: 60_000, description: 'Default ask/map/join timeout' }),
    useReplyHeaders: Type.Boolean({ default: false, description: 'Ask via headers instead of a value envelope' }),
    replyExpiresMs: Type.Integer({ minimum: 1, default: 86_400_000, description: 'Retention of the reply topic' }),
    streamBufferMaxsize: Type.Integer({ minimum: 1, default: 4096 }),
    stopTimeoutMs: Type.Integer({ minimum: 0, default: 30_000, description: 'Graceful stop drain deadline' }),
    revokeTimeoutMs: Type.Integer({ minimum: 0, default: 10_000, description: 'Rebalance drain deadline' }),
    deadLetterTopic: Type.Optional(
      Type.String({ description: 'Where undecodable records are copied, with the error in headers' }),
    ),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
    webEnabled: Type.Boolean({ default: false }),
    webHost: Type.String({ default: '127.0.0.1' }),
    webPort: Type.Integer({ minimum: 0, maximum: 65535, default: 6066 }),
  },
  { additionalProperties: false },
)

export type Settings = Static<typeof SettingsSchema>
export type SettingsInput = Partial<Settings>

const ENV_PREFIX = 'FAUSTUS_'
/** Environment names the project uses for other things than app settings. */
const RESERVED_ENV = /^FAUSTUS_(TEST_|APP$|MANIFESTS$|CLI_OVERRIDES$|INSTALL_|KAFKA_CACHE$|NO_REEXEC$)/

function envName(key: string): string {
  return ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()
}

const ENV_TO_KEY = new Map(Object.keys(SettingsSchema.properties).map((key) => [envName(key), key]))

function fromEnvironment(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || RESERVED_ENV.test(name)) continue
    const key = ENV_TO_KEY.get(name)
    if (key === undefined) {
      throw new SettingError('FST_SETTING_UNKNOWN', `unknown setting in environment: ${name}`, {
        details: { name, known: [...ENV_TO_KEY.keys()] },
      })
    }
    const schema = SettingsSchema.properties[key as keyof Settings]
    values[key] = raw.trim().startsWith('{') ? JSON.parse(raw) : Value.Convert(schema, raw)
  }
  return values
}

/** Builds validated settings; throws SettingError naming the setting for unknown names and bad values. */
export function resolveSettings(options: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = process.env): Settings {
  for (const key of Object.keys(options)) {
    if (!(key in SettingsSchema.properties)) {
      throw new SettingError('FST_SETTING_UNKNOWN', `unknown setting: ${key}`, {
        details: { name: key, known: Object.keys(SettingsSchema.properties) },
      })
    }
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
  const fromEnv = fromEnvironment(env)
  // The CLI names the settings given as flags (`--broker`, `-l`): those win even over the app's own options.
  const forced = (env.FAUSTUS_CLI_OVERRIDES ?? '').split(',').filter((name) => name in fromEnv)
  const overrides = Object.fromEntries(forced.map((name) => [name, fromEnv[name]]))
  const merged = Value.Default(SettingsSchema, { ...fromEnv, ...defined, ...overrides }) as Record<string, unknown>
  const error = Value.Errors(SettingsSchema, merged).First()
  if (error !== undefined) {
    const name = error.path.replace(/^\//, '').replace(/\//g, '.') || '(settings)'
    throw new SettingError(
      'FST_SETTING_INVALID',
      `invalid setting ${name}: ${error.message} (got ${JSON.stringify(error.value)})`,
      { details: { name, value: error.value } },
    )
  }
  return merged as Settings
}
