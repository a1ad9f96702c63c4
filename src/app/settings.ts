import { readFileSync } from 'node:fs'
import { inspect } from 'node:util'
import { type Static, Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { SettingError } from '../errors.ts'
import { redactUrls } from '../logging.ts'
import { codecs } from '../models/index.ts'
import { closestName } from './closest.ts'

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
    brokerCommitEvery: Type.Integer({
      minimum: 0,
      default: 0,
      description: 'Acks between commits (Faust: 10); 0: commits on the interval only (as Kafka Streams)',
    }),
    brokerCommitIntervalMs: Type.Integer({
      minimum: 1,
      default: 2_800,
      description: 'Max time between commits (unset under exactly_once: 100, as Kafka Streams)',
    }),
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
        {
          ca: Type.Optional(Type.String()),
          cert: Type.Optional(Type.String()),
          key: Type.Optional(Type.String()),
          caFile: Type.Optional(Type.String()),
          certFile: Type.Optional(Type.String()),
          keyFile: Type.Optional(Type.String()),
          servername: Type.Optional(Type.String()),
        },
        {
          additionalProperties: false,
          description:
            'TLS: PEM contents (ca, cert, key) or PEM paths (caFile, certFile, keyFile) of CA, client cert, key',
        },
      ),
    ),
    brokerSasl: Type.Optional(
      Type.Object(
        {
          mechanism: Type.Union([
            Type.Literal('PLAIN'),
            Type.Literal('SCRAM-SHA-256'),
            Type.Literal('SCRAM-SHA-512'),
            Type.Literal('OAUTHBEARER'),
          ]),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
          // OAUTHBEARER: a token, or (from code) a function returning a fresh one.
          token: Type.Optional(
            Type.Union([Type.String(), Type.Function([], Type.Union([Type.String(), Type.Promise(Type.String())]))]),
          ),
          oauthBearerExtensions: Type.Optional(Type.Record(Type.String(), Type.String())),
        },
        { additionalProperties: false },
      ),
    ),
    producerLingerMs: Type.Integer({ minimum: 0, default: 5 }),
    producerMaxBufferedBytes: Type.Integer({
      minimum: 1024,
      default: 1_048_576,
      description:
        'Bytes (keys, values, headers) of records sent and not yet acknowledged before senders wait: the producer buffer and the window of outputs sent without waiting (4 MiB under exactly-once unless set)',
    }),
    consumerFetchMaxBytes: Type.Integer({
      minimum: 1024,
      default: 1_048_576,
      description: 'Byte limit of one fetch response (a larger first record batch is still returned)',
    }),
    consumerFetchPartitionMaxBytes: Type.Integer({
      minimum: 1024,
      default: 262_144,
      description: 'Byte limit per partition in one fetch response',
    }),
    producerCompression: Type.Union(
      [Type.Literal('none'), Type.Literal('gzip'), Type.Literal('snappy'), Type.Literal('lz4'), Type.Literal('zstd')],
      { default: 'none' },
    ),
    processingGuarantee: Type.Union([Type.Literal('at_least_once'), Type.Literal('exactly_once')], {
      default: 'at_least_once',
    }),
    askTimeoutMs: Type.Integer({ minimum: 1, default: 60_000, description: 'Default ask/map/join timeout' }),
    mapMaxInFlight: Type.Integer({
      minimum: 1,
      default: 1000,
      description: 'Requests map/kvmap/join/kvjoin keep outstanding (sent, result not yet taken) before pulling more',
    }),
    useReplyHeaders: Type.Boolean({ default: false, description: 'Ask via headers instead of a value envelope' }),
    replyExpiresMs: Type.Integer({ minimum: 1, default: 86_400_000, description: 'Retention of the reply topic' }),
    streamBufferMaxsize: Type.Integer({ minimum: 1, default: 4096 }),
    streamBufferMaxBytes: Type.Integer({
      minimum: 1024,
      default: 1_048_576,
      description: "Bytes (keys and values) of consumed records a stream's buffer holds before fetching waits",
    }),
    workerHeapGrowthPercent: Type.Integer({
      minimum: 0,
      maximum: 300,
      default: 50,
      description:
        "How far (%) a worker lets V8's heap grow past its live size before a full collection (process-wide); 0: V8's own rule, up to 4x the live size",
    }),
    stopTimeoutMs: Type.Integer({
      minimum: 0,
      default: 30_000,
      description: 'Graceful stop deadline: draining, then agents finishing their events',
    }),
    revokeTimeoutMs: Type.Integer({ minimum: 0, default: 10_000, description: 'Rebalance drain deadline' }),
    tableCacheMaxBytes: Type.Integer({
      minimum: 0,
      default: 10 * 1024 * 1024,
      description:
        "Bytes of table changes coalesced per key until the next commit (Kafka Streams' record cache); 0: each change written at once",
    }),
    tableRecoveryStallMs: Type.Integer({
      minimum: 1,
      default: 60_000,
      description: 'Table recovery fails with FST_RECOVERY_STALLED after this long without a changelog record',
    }),
    deadLetterTopic: Type.Optional(
      Type.String({ description: 'Where undecodable records are copied, with the error in headers' }),
    ),
    logLevel: Type.Union(
      ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
      { default: 'info' },
    ),
    logFormat: Type.Union([Type.Literal('auto'), Type.Literal('json'), Type.Literal('pretty')], {
      default: 'auto',
      description: 'auto: readable lines on a terminal, JSON lines otherwise',
    }),
    keySerializer: Type.String({ default: 'raw', description: 'Key codec of topics and agents that set none' }),
    valueSerializer: Type.String({ default: 'json', description: 'Value codec of topics and agents that set none' }),
    webEnabled: Type.Boolean({ default: false }),
    webHost: Type.String({ default: '127.0.0.1' }),
    webPort: Type.Integer({ minimum: 0, maximum: 65535, default: 6066 }),
    workerProcesses: Type.Union([Type.Integer({ minimum: 1, maximum: 256 }), Type.Literal('auto')], {
      default: 1,
      description:
        '`faustus worker` runs this many worker processes in one consumer group (auto: one per core), supervised',
    }),
  },
  { additionalProperties: false },
)

export type Settings = Static<typeof SettingsSchema>
export type SettingsInput = Partial<Settings>

/**
 * Settings the schema knows but nothing implements yet: giving one (in code or the environment) with a value
 * `refuses` is an FST_SETTING_UNAVAILABLE error rather than silently doing nothing. Drop an entry when its feature
 * lands.
 */
export const UNAVAILABLE_SETTINGS: Partial<
  Record<keyof Settings, { refuses: (value: unknown) => boolean; hint: string }>
> = {
  dataDir: {
    refuses: () => true,
    hint: 'not available yet; tables keep local state where the store setting says (lmdb://<dir>)',
  },
}

/** Settings whose values are secrets: never echoed in an error message or log line. */
const SECRET_SETTINGS = new Set(['brokerSasl', 'brokerSsl'])

/** The private key of `brokerSsl`: given as text, or the contents of `keyFile` (unreadable: none, the transport says). */
function privateKey(ssl: Settings['brokerSsl']): string | undefined {
  if (ssl?.keyFile === undefined) return ssl?.key
  try {
    return readFileSync(ssl.keyFile, 'utf8')
  } catch {
    return undefined
  }
}

/**
 * The secret values in `settings` (SASL password, token, TLS private key given as text or read from `keyFile`), for
 * the logger to mask. A key is masked whole and line by line, so a quoted fragment of it is masked too.
 */
export function secretValues(settings: Settings): string[] {
  const token = settings.brokerSasl?.token
  const key = privateKey(settings.brokerSsl)
  const keyLines = (key ?? '').split(/\r?\n/).filter((line) => line.length >= 16 && !line.startsWith('-----'))
  return [settings.brokerSasl?.password, key, ...keyLines, typeof token === 'string' ? token : undefined].filter(
    (v): v is string => !!v,
  )
}

const MASKED = '***'

/** A copy of a secret-holding setting that prints (JSON, console.log, logs) with `fields` masked. */
function maskedWhenPrinted<T extends object>(value: T | undefined, fields: readonly string[]): T | undefined {
  if (value === undefined) return undefined
  const copy = { ...value }
  const printable = () =>
    Object.fromEntries(
      Object.entries(copy).map(([name, v]) => [name, fields.includes(name) && v !== undefined ? MASKED : v]),
    )
  // Not enumerable: spreading the setting (as the transport does) copies only the real options.
  Object.defineProperty(copy, 'toJSON', { value: printable, enumerable: false })
  Object.defineProperty(copy, inspect.custom, { value: printable, enumerable: false })
  return copy
}

const ENV_PREFIX = 'FAUSTUS_'
/** Environment names the project uses for other things than app settings. */
const RESERVED_ENV =
  /^FAUSTUS_(TEST_|APP$|MANIFESTS$|CLI_OVERRIDES$|INSTALL_|KAFKA_CACHE$|NO_REEXEC$|REEXEC$|WRAPPER_PID$|WORKER_INDEX$)/

function envName(key: string): string {
  return ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()
}

const ENV_TO_KEY = new Map(Object.keys(SettingsSchema.properties).map((key) => [envName(key), key]))

/** A JSON setting from the environment; bad JSON names the variable, never its text (it may hold a password). */
function parseJsonEnv(name: string, key: string, raw: string): unknown {
  try {
    return JSON.parse(raw)
  } catch (error) {
    // SyntaxError messages quote the input: keep only the position.
    const at = /position (\d+)/.exec((error as Error).message)?.[1]
    throw new SettingError(
      'FST_SETTING_INVALID',
      `invalid setting ${key}: ${name} is not valid JSON${at === undefined ? '' : ` (at position ${at})`}`,
      { details: { name: key, variable: name } },
    )
  }
}

export type SettingWarning = (message: string, details: Record<string, unknown>) => void

function fromEnvironment(env: NodeJS.ProcessEnv, warn: SettingWarning): Record<string, unknown> {
  const values: Record<string, unknown> = {}
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || RESERVED_ENV.test(name)) continue
    const key = ENV_TO_KEY.get(name)
    if (key === undefined) {
      // The environment is shared with other tools (FAUSTUS_REPO...): warn, do not stop the app.
      const closest = closestName(name, [...ENV_TO_KEY.keys()])
      const hint = closest === undefined ? '' : ` (did you mean ${closest}?)`
      warn(`ignoring unknown setting in environment: ${name}${hint}`, { name, closest })
      continue
    }
    const schema = SettingsSchema.properties[key as keyof Settings]
    values[key] = raw.trim().startsWith('{') ? parseJsonEnv(name, key, raw) : Value.Convert(schema, raw)
  }
  return values
}

function settingName(path: string): string {
  return path.replace(/^\//, '').replace(/\//g, '.') || '(settings)'
}

function invalid(path: string, message: string, value: unknown): SettingError {
  const name = settingName(path)
  const secret = SECRET_SETTINGS.has(name.split('.')[0])
  const got = secret ? '' : ` (got ${redactUrls(JSON.stringify(value) ?? String(value))})`
  return new SettingError('FST_SETTING_INVALID', `invalid setting ${name}: ${message}${got}`, {
    details: secret ? { name } : { name, value: typeof value === 'string' ? redactUrls(value) : value },
  })
}

function refuseUnavailable(given: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(given)) {
    const entry = UNAVAILABLE_SETTINGS[key as keyof Settings]
    if (entry?.refuses(value)) {
      throw new SettingError('FST_SETTING_UNAVAILABLE', `setting ${key}: ${entry.hint}`, {
        details: { name: key, value },
      })
    }
  }
}

function checkCodecs(settings: Record<string, unknown>): void {
  for (const key of ['keySerializer', 'valueSerializer']) {
    try {
      codecs.get(settings[key] as string)
    } catch {
      throw invalid(`/${key}`, `no codec named "${settings[key]}" (register it with registerCodec)`, settings[key])
    }
  }
}

export interface ResolveOptions {
  /** Told about ignored environment variables; the App logs them. Default: a process warning. */
  warn?: SettingWarning
}

/** The default `brokerCommitIntervalMs` under exactly-once. */
const EXACTLY_ONCE_COMMIT_INTERVAL_MS = 100
/** Default `producerMaxBufferedBytes` under exactly-once (see `resolveSettings`). */
const EXACTLY_ONCE_BUFFERED_BYTES = 4 * 1024 * 1024

/**
 * Builds validated settings; throws SettingError naming the setting for unknown options, bad values and settings not
 * available yet. Unknown `FAUSTUS_*` environment variables only warn.
 */
export function resolveSettings(
  options: Record<string, unknown> = {},
  env: NodeJS.ProcessEnv = process.env,
  resolve: ResolveOptions = {},
): Settings {
  for (const key of Object.keys(options)) {
    if (!(key in SettingsSchema.properties)) {
      const closest = closestName(key, Object.keys(SettingsSchema.properties))
      throw new SettingError(
        'FST_SETTING_UNKNOWN',
        `unknown setting: ${key}${closest === undefined ? '' : ` (did you mean ${closest}?)`}`,
        { details: { name: key, closest, known: Object.keys(SettingsSchema.properties) } },
      )
    }
  }
  const warn = resolve.warn ?? ((message: string) => process.emitWarning(message, 'FaustusSettingWarning'))
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined))
  const fromEnv = fromEnvironment(env, warn)
  // The CLI names the settings given as flags (`--broker`, `-l`): those win even over the app's own options.
  const forced = (env.FAUSTUS_CLI_OVERRIDES ?? '').split(',').filter((name) => name in fromEnv)
  const overrides = Object.fromEntries(forced.map((name) => [name, fromEnv[name]]))
  const given = { ...fromEnv, ...defined, ...overrides }
  const merged = Value.Default(SettingsSchema, { ...given }) as Record<string, unknown>
  // Under exactly-once, outputs are visible to read_committed readers only at a commit: Kafka Streams commits every
  // 100 ms there (and every 30 s otherwise); Faust's 2.8 s would delay every downstream reader by that much.
  if (given.brokerCommitIntervalMs === undefined && merged.processingGuarantee === 'exactly_once') {
    merged.brokerCommitIntervalMs = EXACTLY_ONCE_COMMIT_INTERVAL_MS
  }
  // Outputs of the next transaction wait while one ends (its EndTxn, then AddPartitionsToTxn): a buffer of 1 MB
  // fills in a few ms at full speed and stalls the agents until then (Kafka Streams' producers buffer 32 MB).
  if (given.producerMaxBufferedBytes === undefined && merged.processingGuarantee === 'exactly_once') {
    merged.producerMaxBufferedBytes = EXACTLY_ONCE_BUFFERED_BYTES
  }
  const error = Value.Errors(SettingsSchema, merged).First()
  if (error !== undefined) throw invalid(error.path, error.message, error.value)
  refuseUnavailable(given)
  checkCodecs(merged)
  // Printing the settings (console.log, JSON, a log line) shows the key and password as ***.
  if (merged.brokerSsl !== undefined) merged.brokerSsl = maskedWhenPrinted(merged.brokerSsl as object, ['key'])
  if (merged.brokerSasl !== undefined) {
    merged.brokerSasl = maskedWhenPrinted(merged.brokerSasl as object, ['password', 'token'])
  }
  return merged as Settings
}
