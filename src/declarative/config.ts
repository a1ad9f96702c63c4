/**
 * Kaspr's free-form settings: an app's `config` and a table's `options`. Kaspr passes Faust settings (snake_case,
 * `topic_partitions`) and Kafka client settings (dotted, `auto.offset.reset`) through; Faustus maps each onto its
 * own setting where one exists. A name Faust or Kafka knows but Faustus has no setting for is accepted and
 * reported as not applied; a name close to a setting is a likely typo, reported with a suggestion.
 */
import { Value } from '@sinclair/typebox/value'
import { SettingsSchema } from '../app/settings.ts'
import { suggest } from './validate.ts'

export interface MappedEntry {
  /** The key as written. */
  key: string
  /** The Faustus setting (or option) it sets, with the value converted; undefined when not applied. */
  target?: string
  value?: unknown
  /** Why it is not applied (a warning), or what is wrong with it (an error). */
  warning?: string
  error?: string
}

type Rule = string | { target: string; convert: (value: unknown) => unknown; unit?: string }

const seconds = (value: unknown) => (typeof value === 'number' ? Math.round(value * 1000) : value)

/** Faust and Kafka names whose Faustus setting has another name (or unit). Same names in camelCase need none. */
const APP_RULES: Record<string, Rule> = {
  'bootstrap.servers': { target: 'broker', convert: (value) => `kafka://${value}` },
  bootstrap_servers: { target: 'broker', convert: (value) => `kafka://${value}` },
  'client.id': 'brokerClientId',
  'linger.ms': 'producerLingerMs',
  'compression.type': 'producerCompression',
  producer_compression_type: 'producerCompression',
  broker_commit_interval: { target: 'brokerCommitIntervalMs', convert: seconds, unit: 'seconds' },
  broker_request_timeout: { target: 'brokerConnectTimeoutMs', convert: seconds, unit: 'seconds' },
  stream_buffer_maxsize: 'streamBufferMaxsize',
  'fetch.max.bytes': 'consumerFetchMaxBytes',
  'max.partition.fetch.bytes': 'consumerFetchPartitionMaxBytes',
  'buffer.memory': 'producerMaxBufferedBytes',
}

/** Why a known Faust or Kafka name has no Faustus equivalent. */
const NOT_APPLIED: Record<string, string> = {
  'auto.offset.reset': 'Faustus has no setting for it: a new consumer group starts at the earliest offset',
  table_dir: 'tables are stored under the `dataDir` setting (give that instead)',
  key_serializer: 'give keySerializer on each topic or table',
  value_serializer: 'give valueSerializer on each topic or table',
  table_standby_replicas: 'give standbys on each table',
  web_base_path: 'the web server serves from /',
  web_metrics_base_path: 'the web server serves metrics at /metrics',
}

const KNOWN_PREFIXES = ['scheduler_', 'store_rocksdb_', 'consumer_', 'producer_', 'broker_', 'web_', 'table_']

function camel(name: string): string {
  return name.replace(/[_.]([a-z0-9])/g, (_, c: string) => c.toUpperCase())
}

/** Maps one key onto `targets` (the Faustus names), with explicit `rules` for other names. */
function mapEntry(key: string, value: unknown, targets: readonly string[], rules: Record<string, Rule>): MappedEntry {
  if (targets.includes(key)) return { key, target: key, value }
  const rule = rules[key]
  if (typeof rule === 'string') return { key, target: rule, value }
  if (rule !== undefined) return { key, target: rule.target, value: rule.convert(value) }
  if (targets.includes(camel(key))) return { key, target: camel(key), value }
  const why = NOT_APPLIED[key]
  if (why !== undefined) return { key, warning: `"${key}" is accepted but not applied: ${why}` }
  const hint = key.includes('.') ? undefined : suggest(key, [...targets, ...Object.keys(rules)])
  if (hint !== undefined && camel(hint) !== camel(key)) {
    return { key, error: `unknown setting "${key}" (did you mean "${hint}"?)` }
  }
  const kind = key.includes('.')
    ? 'a Kafka client setting'
    : KNOWN_PREFIXES.some((p) => key.startsWith(p))
      ? 'a Faust setting'
      : 'a setting'
  return { key, warning: `"${key}" is accepted but not applied: ${kind} with no Faustus equivalent` }
}

const SETTING_NAMES = Object.keys(SettingsSchema.properties)

/** An app's `config`, mapped onto Faustus settings; each value checked against its setting's schema. */
export function mapAppConfig(config: Record<string, unknown> | undefined): MappedEntry[] {
  return Object.entries(config ?? {}).map(([key, value]) => {
    const entry = mapEntry(key, value, SETTING_NAMES, APP_RULES)
    if (entry.target === undefined) return entry
    const schema = (SettingsSchema.properties as Record<string, Parameters<typeof Value.Check>[0]>)[entry.target]
    const converted = Value.Convert(schema, entry.value)
    if (!Value.Check(schema, converted)) {
      const error = Value.Errors(schema, converted).First()
      return {
        key,
        error: `invalid value for ${entry.target}: ${error?.message ?? 'wrong type'} (got ${JSON.stringify(entry.value)})`,
      }
    }
    return { ...entry, value: converted }
  })
}

/** The Faustus settings an app's `config` gives (what is not applied left out). */
export function appConfigSettings(config: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const entry of mapAppConfig(config)) if (entry.target !== undefined) out[entry.target] = entry.value
  return out
}

/** Table options Faustus applies (Faust's names mapped); the others are reported as not applied. */
const TABLE_OPTIONS = ['store', 'changelogTopic', 'standbys', 'checkKeyPartition', 'help', 'partitions']
const TABLE_RULES: Record<string, Rule> = {
  standby_replicas: 'standbys',
  table_standby_replicas: 'standbys',
}

const TABLE_OPTION_TYPES: Record<string, (value: unknown) => boolean> = {
  store: (value) => typeof value === 'string',
  changelogTopic: (value) => typeof value === 'string' && value !== '',
  help: (value) => typeof value === 'string',
  standbys: (value) => Number.isInteger(value) && (value as number) >= 0,
  partitions: (value) => Number.isInteger(value) && (value as number) >= 1,
  checkKeyPartition: (value) => typeof value === 'boolean',
}

/** A table's `options`, mapped onto Faustus table options. */
export function mapTableOptions(options: Record<string, unknown> | undefined): MappedEntry[] {
  return Object.entries(options ?? {}).map(([key, value]) => {
    const entry = mapEntry(key, value, TABLE_OPTIONS, TABLE_RULES)
    if (entry.warning !== undefined) {
      return { key, warning: `table option "${key}" is accepted but not applied: Faustus tables have no such option` }
    }
    if (entry.target !== undefined && !TABLE_OPTION_TYPES[entry.target](entry.value)) {
      return { key, error: `invalid value for table option ${entry.target}: ${JSON.stringify(value)}` }
    }
    return entry
  })
}
