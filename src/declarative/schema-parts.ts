/**
 * The building blocks of the manifest JSON Schema (TypeBox): code blocks, topics, operations and processors.
 * Rules a JSON Schema states with `anyOf`/`oneOf` are given as extra keywords for editors; the loader checks them
 * itself with clearer messages (see semantics.ts), since TypeBox's checker ignores those keywords.
 */
import { type Static, Type } from '@sinclair/typebox'

const strict = { additionalProperties: false }

/** `500ms`, `10s`, `5m`, `1h`, `1d`, or a number of seconds (as Faust and Kaspr). */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$'

export const Duration = Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ exclusiveMinimum: 0 })], {
  description: 'a duration: a string with a unit (500ms, 10s, 5m, 1h, 1d) or a number of seconds',
})

export const Identifier = Type.String({ pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$', description: 'a JavaScript identifier' })

export const Serializer = Type.String({
  minLength: 1,
  description: 'codec name: raw, json, binary, a registered codec, or a chain "a|b"',
})

const codeProperties = {
  javascript: Type.Optional(Type.String({ description: 'JavaScript: an expression, or a function body using return' })),
  typescript: Type.Optional(Type.String({ description: 'TypeScript, as javascript (types are stripped)' })),
  python: Type.Optional(
    Type.String({ description: 'Kaspr Python code: not supported by Faustus; translate it to javascript' }),
  ),
  entrypoint: Type.Optional(
    Type.String({
      pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$',
      description: 'name of the function the code defines, called as fn(value, scope)',
    }),
  ),
}

const oneLanguage = [{ required: ['javascript'] }, { required: ['typescript'] }, { required: ['python'] }]

/** A code snippet: exactly one of `javascript`, `typescript` (or Kaspr's `python`, reported as unsupported). */
export const Code = Type.Object(codeProperties, {
  ...strict,
  oneOf: oneLanguage,
  description: 'code: exactly one of javascript or typescript',
})

export const TableRef = Type.Object(
  { name: Type.String({ minLength: 1 }), paramName: Identifier },
  { ...strict, description: 'a table passed to the code as the variable paramName' },
)

export const TopicConfig = Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]))

/** How the app creates a topic it declares (Faust's topic options, as Kaspr's CRDs give them). */
const topicCreation = {
  partitions: Type.Optional(Type.Integer({ minimum: 1, description: 'partitions when the app creates it' })),
  replicas: Type.Optional(Type.Integer({ minimum: 1, description: 'replication factor when the app creates it' })),
  retention: Type.Optional(Duration),
  compacting: Type.Optional(Type.Boolean({ description: 'cleanup.policy=compact' })),
  deleting: Type.Optional(Type.Boolean({ description: 'with compacting: cleanup.policy=compact,delete' })),
  config: Type.Optional(TopicConfig),
}

const topicOutputProperties = {
  name: Type.Optional(Type.String({ minLength: 1, description: 'topic name' })),
  nameSelector: Type.Optional(Code),
  declare: Type.Optional(
    Type.Boolean({ description: 'create the topic at start when missing (default true; false: it must exist)' }),
  ),
  keySerializer: Type.Optional(Serializer),
  valueSerializer: Type.Optional(Serializer),
  ...topicCreation,
  keySelector: Type.Optional(Code),
  valueSelector: Type.Optional(Code),
  partitionSelector: Type.Optional(Code),
  headersSelector: Type.Optional(Code),
  predicate: Type.Optional(Code),
  ack: Type.Optional(
    Type.Boolean({ description: 'wait for the broker to acknowledge before the next event (default true)' }),
  ),
}

/** An output topic: where values go (a `name`, or a `nameSelector` per value), with optional selectors. */
export const TopicOutput = Type.Object(topicOutputProperties, {
  ...strict,
  anyOf: [{ required: ['name'] }, { required: ['nameSelector'] }],
})

/** The `topicSend` operation: an output topic that ends the pipeline, unless `passThrough`. */
export const TopicSend = Type.Object(
  {
    ...topicOutputProperties,
    passThrough: Type.Optional(
      Type.Boolean({ description: 'pass the value on to the next operation after sending (default false)' }),
    ),
  },
  { ...strict, anyOf: [{ required: ['name'] }, { required: ['nameSelector'] }] },
)

export const GroupBy = Type.Object(
  {
    ...codeProperties,
    name: Type.Optional(
      Type.String({ minLength: 1, description: 'suffix of the repartition topic (default: the operation name)' }),
    ),
    partitions: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { ...strict, oneOf: oneLanguage, description: 'repartition by the key the code returns' },
)

export const OPERATION_KINDS = ['map', 'filter', 'groupBy', 'topicSend'] as const
export type OperationKind = (typeof OPERATION_KINDS)[number]

export const Operation = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    tables: Type.Optional(Type.Array(TableRef)),
    map: Type.Optional(Code),
    filter: Type.Optional(Code),
    groupBy: Type.Optional(GroupBy),
    topicSend: Type.Optional(TopicSend),
  },
  {
    ...strict,
    oneOf: OPERATION_KINDS.map((kind) => ({ required: [kind] })),
    description: 'a named operation: exactly one of map, filter, groupBy (non-terminal) or topicSend (terminal)',
  },
)

export const Processors = Type.Object(
  {
    init: Type.Optional(Code),
    operations: Type.Optional(Type.Array(Operation)),
    pipeline: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), { description: 'operation names in order (default: as listed)' }),
    ),
  },
  strict,
)

export const InputTopic = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1 })),
    names: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    pattern: Type.Optional(Type.String({ minLength: 1, description: 'a regular expression over topic names' })),
    keySerializer: Type.Optional(Serializer),
    valueSerializer: Type.Optional(Serializer),
    ...topicCreation,
  },
  { ...strict, oneOf: [{ required: ['name'] }, { required: ['names'] }, { required: ['pattern'] }] },
)

export const InputChannel = Type.Object(
  { name: Type.String({ minLength: 1 }), maxsize: Type.Optional(Type.Integer({ minimum: 1 })) },
  strict,
)

export const Take = Type.Object(
  {
    max: Type.Integer({ minimum: 1, description: 'values per batch' }),
    within: Type.Optional(Duration),
  },
  { ...strict, description: 'batch the input: the pipeline gets arrays of up to max values' },
)

export const Input = Type.Object(
  {
    declare: Type.Optional(
      Type.Boolean({
        description: 'create the input topic at start when missing (default true; false: it must exist)',
      }),
    ),
    topic: Type.Optional(InputTopic),
    channel: Type.Optional(InputChannel),
    take: Type.Optional(Take),
  },
  { ...strict, oneOf: [{ required: ['topic'] }, { required: ['channel'] }] },
)

export const ErrorPolicy = Type.Union(
  [Type.Literal('ack'), Type.Literal('crash'), Type.Object({ deadLetter: Type.String({ minLength: 1 }) }, strict)],
  { description: 'ack, crash, or { deadLetter: topic }' },
)

export const AgentSpec = Type.Object(
  {
    description: Type.Optional(Type.String()),
    input: Type.Optional(Input),
    inputs: Type.Optional(Input),
    take: Type.Optional(Take),
    processors: Type.Optional(Processors),
    output: Type.Optional(Type.Object({ topics: Type.Optional(Type.Array(TopicOutput)) }, strict)),
    concurrency: Type.Optional(Type.Integer({ minimum: 1 })),
    isolatedPartitions: Type.Optional(
      Type.Boolean({ description: 'one actor per assigned partition, started and stopped with the assignment' }),
    ),
    config: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Kafka/Faust settings of the agent (Kaspr); accepted, reported as not applied',
      }),
    ),
    onError: Type.Optional(ErrorPolicy),
  },
  { ...strict, oneOf: [{ required: ['input'] }, { required: ['inputs'] }] },
)

export type CodeSpec = Static<typeof Code>
export type GroupBySpec = Static<typeof GroupBy>
export type TopicOutputSpec = Static<typeof TopicSend>
export type OperationSpec = Static<typeof Operation>
export type ProcessorsSpec = Static<typeof Processors>
export type InputSpec = Static<typeof Input>
export type InputTopicSpec = Static<typeof InputTopic>
export type AgentSpecType = Static<typeof AgentSpec>
export type DurationSpec = Static<typeof Duration>
