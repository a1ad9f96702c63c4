/** Sending pipeline results to topics: `output.topics` and the `topicSend` operation. */
import type { App } from '../app/app.ts'
import { Topic } from '../channels/topic.ts'
import { errorFields } from '../logging.ts'
import type { ResourceProgram, SnippetCall } from './program.ts'
import type { TopicOutputSpec } from './schema-parts.ts'
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

/**
 * The topic object to send to: the app's topic of that name when the serializers agree, else one with the given
 * serializers (registered when the app has none of that name, so that the app creates it).
 */
export function outputTopic(
  app: App,
  spec: Pick<TopicOutputSpec, 'name' | 'keySerializer' | 'valueSerializer' | 'partitions'>,
): Topic {
  const existing = app.topics.get(spec.name)
  const keyType = spec.keySerializer
  const valueType = spec.valueSerializer
  if (existing !== undefined) {
    const agrees =
      (keyType === undefined || existing.options.keyType === keyType) &&
      (valueType === undefined || existing.options.valueType === valueType)
    if (agrees) return existing
    return new Topic(app.services, [spec.name], { ...existing.options, keyType, valueType })
  }
  const options = { keyType, valueType, partitions: spec.partitions }
  return app.topic(spec.name, Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)))
}

/** An output topic with its selectors: predicate, key, value, partition and headers. */
export class TopicOutput {
  readonly topic: Topic
  readonly #ack: boolean
  readonly #calls: Partial<Record<'predicate' | 'key' | 'value' | 'partition' | 'headers', SnippetCall>> = {}
  readonly #app: App

  constructor(app: App, spec: TopicOutputSpec, program: ResourceProgram, path: Path, names: readonly string[]) {
    this.#app = app
    this.topic = outputTopic(app, spec)
    this.#ack = spec.ack ?? true
    const selectors = {
      predicate: 'predicate',
      key: 'keySelector',
      value: 'valueSelector',
      partition: 'partitionSelector',
      headers: 'headersSelector',
    } as const
    for (const [role, field] of Object.entries(selectors)) {
      if (spec[field] !== undefined) this.#calls[role as keyof typeof selectors] = program.call([...path, field], names)
    }
  }

  get name(): string {
    return this.topic.name
  }

  /** Sends the item (unless its predicate says no); with `ack: false` does not wait for the broker. */
  async send(item: Item, argsOf: ArgsOf): Promise<void> {
    const calls = this.#calls
    const args = calls.predicate || calls.key || calls.value || calls.partition || calls.headers ? argsOf(item) : []
    if (calls.predicate && !(await settle(calls.predicate(args)))) return
    const message = {
      key: calls.key ? await settle(calls.key(args)) : item.key,
      value: calls.value ? await settle(calls.value(args)) : item.value,
      partition: calls.partition ? ((await settle(calls.partition(args))) as number | undefined) : undefined,
      headers: calls.headers ? ((await settle(calls.headers(args))) as Record<string, string | Buffer>) : undefined,
    }
    const sending = this.topic.send(message)
    if (this.#ack) {
      await sending
      return
    }
    sending.catch((error) =>
      this.#app.log.error({ ...errorFields(error), topic: this.topic.name }, 'unacknowledged manifest output failed'),
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
