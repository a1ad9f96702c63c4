/**
 * The manifest JSON Schema, defined with TypeBox. `schemas/faustus-manifests.schema.json` is generated from
 * `manifestJsonSchema()` (`npx tsx schemas/generate.ts`), and a test checks the file is up to date.
 */
import { type Static, type TObject, Type } from '@sinclair/typebox'
import {
  AgentSpec,
  Code,
  DURATION_PATTERN,
  Duration,
  Operation,
  Processors,
  Serializer,
  TopicConfig,
  TopicOutput,
} from './schema-parts.ts'

const strict = { additionalProperties: false }

export const API_VERSIONS = ['faustus.io/v1alpha1', 'kaspr.io/v1alpha1'] as const
export const RESOURCE_KINDS = ['App', 'Agent', 'Table', 'Task', 'WebView', 'Join'] as const
export type ResourceKind = (typeof RESOURCE_KINDS)[number]

/** Kaspr's kind names: `KasprAgent` is an `Agent`. */
export function kindOf(kind: unknown): ResourceKind | undefined {
  if (typeof kind !== 'string') return undefined
  const bare = kind.startsWith('Kaspr') ? kind.slice('Kaspr'.length) : kind
  return (RESOURCE_KINDS as readonly string[]).includes(bare) ? (bare as ResourceKind) : undefined
}

export const APP_LABELS = ['faustus.io/app', 'kaspr.io/app'] as const

const Name = Type.String({ pattern: '^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$', description: 'a resource name' })

export const Metadata = Type.Object(
  {
    name: Name,
    namespace: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    // Seed 002 writes the app label directly under metadata.
    'faustus.io/app': Type.Optional(Type.String({ minLength: 1, description: 'the app this resource belongs to' })),
    'kaspr.io/app': Type.Optional(Type.String({ minLength: 1, description: 'the app this resource belongs to' })),
  },
  strict,
)

/** KasprApp fields about its Kubernetes deployment and connection secrets: accepted, reported as not applied. */
export const KASPR_APP_FIELDS: Record<string, string> = {
  version: 'the Kaspr image version (Kubernetes deployment)',
  replicas: 'run as many workers with the same app id (Kubernetes deployment)',
  image: 'the container image (Kubernetes deployment)',
  tls: 'set the brokerSsl setting (config.brokerSsl or FAUSTUS_BROKER_SSL)',
  authentication: 'set the brokerSasl setting (the password is in a Kubernetes Secret Faustus does not read)',
  resources: 'Kubernetes deployment',
  livenessProbe: 'Kubernetes deployment (the worker serves /health when the web server is on)',
  readinessProbe: 'Kubernetes deployment',
  storage: 'Kubernetes deployment (tables are stored under the dataDir setting)',
  pythonPackages: 'Python packages: JavaScript code uses require() relative to the manifest',
  template: 'Kubernetes deployment (environment variables: set them for the worker process)',
}

export const AppSpec = Type.Object(
  {
    description: Type.Optional(Type.String()),
    broker: Type.Optional(Type.String({ description: 'memory://[name] or kafka://host:port[,host:port]' })),
    bootstrapServers: Type.Optional(Type.String({ description: "Kaspr's host:port[,host:port], for kafka://" })),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description:
          'app settings: Faustus names (src/app/settings.ts), or the Faust and Kafka names Kaspr passes through ' +
          '(topic_partitions, bootstrap.servers, ...), mapped where Faustus has the setting',
      }),
    ),
    ...Object.fromEntries(
      Object.entries(KASPR_APP_FIELDS).map(([field, why]) => [
        field,
        Type.Optional(Type.Unknown({ description: `Kaspr field, accepted and not applied: ${why}` })),
      ]),
    ),
  },
  { ...strict, description: 'the app: its settings (Kaspr deployment fields are accepted, not applied)' },
)

const Grace = Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0 })], {
  description:
    'grace period for late events: a window closes when stream time reaches its end + grace (its final result is ' +
    'emitted, later events for it are dropped); 0 closes it at its end; omitted: late events update their window until it expires (Faust)',
})
const WindowExpiry = { expires: Type.Optional(Duration), grace: Type.Optional(Grace) }

export const TableWindow = Type.Object(
  {
    tumbling: Type.Optional(Type.Object({ size: Duration, ...WindowExpiry }, strict)),
    hopping: Type.Optional(Type.Object({ size: Duration, step: Duration, ...WindowExpiry }, strict)),
    sliding: Type.Optional(Type.Object({ before: Duration, after: Duration, ...WindowExpiry }, strict)),
    session: Type.Optional(
      Type.Object(
        { gap: Duration, ...WindowExpiry },
        { ...strict, description: 'session windows: events of a key less than gap apart form one session' },
      ),
    ),
    /** Session windows (required there): `(earlier, later)` gives the value of two sessions an event merges. */
    merge: Type.Optional(Code),
    relativeTo: Type.Optional(
      Type.Union([Type.Literal('stream'), Type.Literal('now'), Type.Literal('custom')], {
        description: 'what window reads are relative to (custom: the time relativeToSelector returns)',
      }),
    ),
    relativeToSelector: Type.Optional(Code),
    /** `(key, value, window)` once per window when it closes: at end + grace with a grace period, else at expiry. */
    onWindowClose: Type.Optional(Code),
    finalResults: Type.Optional(
      Type.Object(
        {
          topic: Type.String({ minLength: 1 }),
          keySerializer: Type.Optional(Serializer),
          valueSerializer: Type.Optional(Serializer),
        },
        {
          ...strict,
          description:
            'send one record per window when it closes (needs a grace period): key = the key, value = { start, end, value } (ms)',
        },
      ),
    ),
  },
  {
    ...strict,
    oneOf: [
      { required: ['tumbling'] },
      { required: ['hopping'] },
      { required: ['sliding'] },
      { required: ['session'] },
    ],
  },
)

export const TableSpec = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, description: 'the table name (default: metadata.name)' })),
    description: Type.Optional(Type.String()),
    global: Type.Optional(Type.Boolean({ description: 'every worker holds every partition' })),
    keySerializer: Type.Optional(Serializer),
    valueSerializer: Type.Optional(Serializer),
    partitions: Type.Optional(Type.Integer({ minimum: 1 })),
    standbys: Type.Optional(Type.Integer({ minimum: 0 })),
    checkKeyPartition: Type.Optional(
      Type.Boolean({
        description:
          'true: refuse a written key that does not hash to the partition of the event; false: no check; default: keep it there and warn once per partition',
      }),
    ),
    default: Type.Optional(Code),
    defaultSelector: Type.Optional(Code),
    extraTopicConfigs: Type.Optional(TopicConfig),
    options: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: "Faust table options (Kaspr's options); mapped where Faustus has the option, else reported",
      }),
    ),
    window: Type.Optional(TableWindow),
  },
  strict,
)

export const TaskSpec = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.String()),
    onLeader: Type.Optional(Type.Boolean({ description: 'run only on the leader worker' })),
    schedule: Type.Optional(
      Type.Object(
        {
          interval: Type.Optional(Duration),
          cron: Type.Optional(Type.String({ minLength: 1 })),
          timezone: Type.Optional(Type.String()),
        },
        { ...strict, oneOf: [{ required: ['interval'] }, { required: ['cron'] }] },
      ),
    ),
    processors: Processors,
  },
  strict,
)

const JoinSide = Type.Object(
  { topic: Type.String({ minLength: 1, description: 'the topic of this side (keyed by the join key)' }) },
  strict,
)

/**
 * A join. Kaspr's KasprJoin (a table–table join driven by the left table: `leftTable`, `rightTable`, `extractor`
 * giving the right key of a left value, `type` inner or left, `outputChannel`), or Faustus's windowed stream–stream
 * join (`left`/`right` topics, `window`, `type` inner, left or outer, on the message key).
 */
export const JoinSpec = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, description: 'the join name (default: metadata.name)' })),
    description: Type.Optional(Type.String()),
    leftTable: Type.Optional(Type.String({ minLength: 1, description: 'the driving table: its changes emit' })),
    rightTable: Type.Optional(Type.String({ minLength: 1, description: 'the lookup table' })),
    extractor: Type.Optional(Code),
    left: Type.Optional(JoinSide),
    right: Type.Optional(JoinSide),
    window: Type.Optional(
      Type.Object(
        {
          within: Type.Optional(Duration),
          before: Type.Optional(Duration),
          after: Type.Optional(Duration),
          grace: Type.Optional(Duration),
        },
        { ...strict, anyOf: [{ required: ['within'] }, { required: ['before', 'after'] }] },
      ),
    ),
    type: Type.Optional(
      Type.Union([Type.Literal('inner'), Type.Literal('left'), Type.Literal('outer')], {
        description: 'inner (default), left, or outer (stream–stream joins only)',
      }),
    ),
    outputChannel: Type.Optional(
      Type.String({ minLength: 1, description: 'the channel agents read results from (default {name}-channel)' }),
    ),
    outputTopic: Type.Optional(Type.String({ minLength: 1, description: 'a topic the results are sent to instead' })),
  },
  {
    ...strict,
    oneOf: [{ required: ['leftTable', 'rightTable', 'extractor'] }, { required: ['left', 'right', 'window'] }],
  },
)

const OnOutcome = Type.Object({ onSuccess: Type.Optional(Code), onError: Type.Optional(Code) }, strict)

export const WebViewSpec = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    description: Type.Optional(Type.String()),
    request: Type.Object(
      {
        method: Type.Union(
          ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'].map((method) => Type.Literal(method)),
        ),
        path: Type.String({ pattern: '^/', description: 'route path; {name} (or :name) segments become params' }),
      },
      strict,
    ),
    response: Type.Optional(
      Type.Object(
        {
          contentType: Type.Optional(Type.String()),
          statusCode: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
          headers: Type.Optional(Type.Record(Type.String(), Type.String())),
          bodySelector: Type.Optional(OnOutcome),
          statusCodeSelector: Type.Optional(OnOutcome),
          headersSelector: Type.Optional(OnOutcome),
        },
        strict,
      ),
    ),
    processors: Type.Optional(Processors),
  },
  strict,
)

function resource<S extends TObject>(kind: ResourceKind, spec: S, specRequired: boolean) {
  return Type.Object(
    {
      apiVersion: Type.Union(API_VERSIONS.map((v) => Type.Literal(v))),
      kind: Type.Union([Type.Literal(kind), Type.Literal(`Kaspr${kind}`)]),
      metadata: Metadata,
      spec: specRequired ? spec : Type.Optional(spec),
    },
    { ...strict, title: kind },
  )
}

/** The schema of one resource, by kind. */
export const RESOURCE_SCHEMAS = {
  App: resource('App', AppSpec, false),
  Agent: resource('Agent', AgentSpec, true),
  Table: resource('Table', TableSpec, false),
  Task: resource('Task', TaskSpec, true),
  WebView: resource('WebView', WebViewSpec, true),
  Join: resource('Join', JoinSpec, true),
} as const

export type AppSpecType = Static<typeof AppSpec>
export type TableSpecType = Static<typeof TableSpec>
export type TableWindowSpec = Static<typeof TableWindow>
export type TaskSpecType = Static<typeof TaskSpec>
export type WebViewSpecType = Static<typeof WebViewSpec>
export type JoinSpecType = Static<typeof JoinSpec>
export type MetadataType = Static<typeof Metadata>

export const SCHEMA_ID = 'https://faustus.io/schemas/faustus-manifests.schema.json'

/** Shared parts, published once under `definitions` and referenced. */
const DEFINITIONS = { Processors, Operation, TopicOutput, Code, Duration, Serializer, Metadata } as const

function plain(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema))
}

/** Replaces every occurrence of a definition (but the definition itself) with a `$ref` to it. */
function referencing(node: unknown, byText: Map<string, string>, self?: string): unknown {
  if (typeof node !== 'object' || node === null) return node
  const name = byText.get(JSON.stringify(node))
  if (name !== undefined && name !== self) return { $ref: `#/definitions/${name}` }
  if (Array.isArray(node)) return node.map((item) => referencing(item, byText))
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, referencing(value, byText)]))
}

/** The published JSON Schema (draft-07): any one resource; validate each YAML document against it. */
export function manifestJsonSchema(): Record<string, unknown> {
  const byText = new Map(Object.entries(DEFINITIONS).map(([name, schema]) => [JSON.stringify(plain(schema)), name]))
  const root = plain(Type.Union(RESOURCE_KINDS.map((kind) => RESOURCE_SCHEMAS[kind])))
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'Faustus manifest',
    description:
      'One resource of a Faustus (or Kaspr) manifest: App, Agent, Table, Task, WebView or Join, apiVersion ' +
      'faustus.io/v1alpha1 or kaspr.io/v1alpha1 (with the Kaspr kind names).',
    ...(referencing(root, byText) as Record<string, unknown>),
    definitions: Object.fromEntries(
      Object.entries(DEFINITIONS).map(([name, schema]) => [name, referencing(plain(schema), byText, name)]),
    ),
  }
}
