/** Sending pipeline results to topics: `output.topics` and the `topicSend` operation. */
import type { App } from '../app/app.ts'
import { appServices } from '../app/app.ts'
import { Topic, type TopicOptions } from '../channels/topic.ts'
import { errorFields } from '../logging.ts'
import { durationMs } from './durations.ts'
import type { ResourceProgram, SnippetCall } from './program.ts'
import type { InputTopicSpec, TopicOutputSpec } from './schema-parts.ts'
import type { Path } from './source.ts'

/** One value moving through a pipeline, with what its code may read. */
export interface Item {
  value: unknown
  key?: unknown
  headers?: Record<string, Buffer>
  /** The event being processed (agents): topic, partition, offset, timestamp. */
  event?: unknown
  /** The HTTP request (web views). */
  request?: unknown
}

export type ArgsOf = (item: Item) => unknown[]

async function settle(result: unknown): Promise<unknown> {
  return typeof (result as PromiseLike<unknown> | null)?.then === 'function' ? await result : result
}

type TopicFields = Pick<
  TopicOutputSpec & InputTopicSpec,
  'keySerializer' | 'valueSerializer' | 'partitions' | 'replicas' | 'retention' | 'compacting' | 'deleting' | 'config'
> & { declare?: boolean }

/** Topic options from a manifest's topic fields (Faust's: retention in seconds or with a unit). */
export function topicOptions(spec: TopicFields): TopicOptions {
  const options: TopicOptions = {
    keyType: spec.keySerializer,
    valueType: spec.valueSerializer,
    partitions: spec.partitions,
    replicas: spec.replicas,
    retention: spec.retention === undefined ? undefined : durationMs(spec.retention),
    compacting: spec.compacting,
    deleting: spec.deleting,
    config: spec.config && Object.fromEntries(Object.entries(spec.config).map(([k, v]) => [k, String(v)])),
    declare: spec.declare,
  }
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as TopicOptions
}

/**
 * The topic object to send to: the app's topic of that name when the serializers agree, else one with the given
 * serializers (registered when the app has none of that name, so that the app creates it, with the given options).
 */
export function outputTopic(app: App, name: string, spec: TopicFields): Topic {
  const existing = app.topics.get(name)
  const keyType = spec.keySerializer
  const valueType = spec.valueSerializer
  if (existing !== undefined) {
    const agrees =
      (keyType === undefined || existing.options.keyType === keyType) &&
      (valueType === undefined || existing.options.valueType === valueType)
    if (agrees) return existing
    return new Topic(appServices(app), [name], { ...existing.options, keyType, valueType })
  }
  return app.topic(name, topicOptions(spec))
}

const SELECTORS = {
  predicate: 'predicate',
  key: 'keySelector',
  value: 'valueSelector',
  partition: 'partitionSelector',
  headers: 'headersSelector',
  name: 'nameSelector',
} as const

/**
 * An output topic with its selectors: name, predicate, key, value, partition and headers. As Kaspr: without a
 * keySelector the record has no key, and without a valueSelector the value is sent as it is.
 */
export class TopicOutput {
  readonly #spec: TopicOutputSpec
  readonly #fixed: Topic | undefined
  readonly #byName = new Map<string, Topic>()
  readonly #ack: boolean
  readonly #calls: Partial<Record<keyof typeof SELECTORS, SnippetCall>> = {}
  readonly #app: App
  readonly #fail: (cause: unknown) => Error

  constructor(app: App, spec: TopicOutputSpec, program: ResourceProgram, path: Path, names: readonly string[]) {
    this.#app = app
    this.#spec = spec
    this.#ack = spec.ack ?? true
    for (const [role, field] of Object.entries(SELECTORS)) {
      if (spec[field] !== undefined) this.#calls[role as keyof typeof SELECTORS] = program.call([...path, field], names)
    }
    this.#fail = (cause) => program.error([...path, 'nameSelector'], cause)
    // A fixed name is declared now, so that the app creates the topic at start.
    this.#fixed = this.#calls.name === undefined ? outputTopic(app, spec.name!, spec) : undefined
  }

  /** The topic's name; for a nameSelector, the fallback `name` (or the selector). */
  get name(): string {
    return this.#fixed?.name ?? this.#spec.name ?? '(nameSelector)'
  }

  get topic(): Topic | undefined {
    return this.#fixed
  }

  async #topicFor(args: readonly unknown[]): Promise<Topic> {
    if (this.#fixed !== undefined) return this.#fixed
    const name = await settle(this.#calls.name!(args))
    if (typeof name !== 'string' || name === '') {
      throw this.#fail(new TypeError(`nameSelector returned ${JSON.stringify(name) ?? String(name)}, not a topic name`))
    }
    let topic = this.#byName.get(name)
    if (topic === undefined) {
      topic = outputTopic(this.#app, name, this.#spec)
      this.#byName.set(name, topic)
    }
    return topic
  }

  /** Sends the item (unless its predicate says no); with `ack: false` does not wait for the broker. */
  async send(item: Item, argsOf: ArgsOf): Promise<void> {
    const calls = this.#calls
    const args = Object.keys(calls).length > 0 ? argsOf(item) : []
    if (calls.predicate && !(await settle(calls.predicate(args)))) return
    const topic = await this.#topicFor(args)
    const message = {
      key: calls.key ? await settle(calls.key(args)) : undefined,
      value: calls.value ? await settle(calls.value(args)) : item.value,
      partition: calls.partition ? ((await settle(calls.partition(args))) as number | undefined) : undefined,
      headers: calls.headers ? ((await settle(calls.headers(args))) as Record<string, string | Buffer>) : undefined,
    }
    const sending = topic.send(message)
    if (this.#ack) {
      await sending
      return
    }
    sending.catch((error) =>
      this.#app.log.error({ ...errorFields(error), topic: topic.name }, 'unacknowledged manifest output failed'),
    )
  }
}

/** `context.send(topic, value, { key, headers, partition })` for code: sends through the app's topic of that name. */
export function contextSend(app: App) {
  return (
    name: string,
    value: unknown,
    options: { key?: unknown; headers?: Record<string, string | Buffer>; partition?: number } = {},
  ) => (app.topics.get(name) ?? app.topic(name)).send({ ...options, value })
}
