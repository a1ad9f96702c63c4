import type { Topic } from '../channels/topic.ts'
import { FaustusError } from '../errors.ts'
import { json } from '../models/codec.ts'
import type { Event } from '../streams/event.ts'
import { processedSource } from '../streams/processed.ts'
import type { EventSource } from '../streams/queue.ts'
import type { JoinKeySelector, StreamJoinRequest } from '../streams/types.ts'
import type { Table } from '../tables/table.ts'
import type { TableOptions } from '../tables/types.ts'
import { LEFT, RIGHT, type Side } from './keys.ts'
import { type JoinCodecs, type Joiner, type JoinWindowSpec, type StreamJoinKind, WindowJoin } from './window-join.ts'

/** What the join registry needs from the app. */
export interface JoinHost {
  topic(name: string): Topic<any, any> | undefined
  /** Declares a table, or refuses (FST_JOIN_DEFINITION) when the app's tables have started. */
  declareTable(name: string, options: TableOptions<Buffer>): Table<Buffer, Buffer>
}

interface Declared {
  signature: string
  join: WindowJoin
}

const KINDS: readonly StreamJoinKind[] = ['inner', 'left', 'outer']

/**
 * The app's windowed stream–stream joins, by name. A join's state (tables) is declared the first time it is built,
 * which must be before the app's tables start: at definition time, or at the top of a task or agent before its first
 * await (as the seed's `topic1.stream().join(topic2.stream(), ...)` in a task). Building it again with the same name
 * (an agent restarted by its supervisor) takes up the same state.
 */
export class StreamJoins {
  readonly #host: JoinHost
  readonly #joins = new Map<string, Declared>()

  constructor(host: JoinHost) {
    this.#host = host
  }

  get(name: string): WindowJoin | undefined {
    return this.#joins.get(name)?.join
  }

  /** Rebalance or rollback: stream times and scan hints are rebuilt from what is read next. */
  reset(): void {
    for (const { join } of this.#joins.values()) join.reset()
  }

  source(request: StreamJoinRequest): EventSource<unknown, unknown> {
    const { kind, options } = request
    if (!KINDS.includes(kind)) {
      throw new FaustusError('FST_JOIN_DEFINITION', `a stream–stream join is inner, left or outer, not ${String(kind)}`)
    }
    const leftTopic = this.#topicOf(request.left.channelName, 'left')
    const rightTopic = this.#topicOf(request.right.channelName, 'right')
    if (leftTopic.partitions !== rightTopic.partitions) {
      throw new FaustusError(
        'FST_JOIN_COPARTITION',
        `stream–stream join: "${leftTopic.name}" has ${leftTopic.partitions} partitions and "${rightTopic.name}" has ` +
          `${rightTopic.partitions}: joined streams must be co-partitioned (same partition count, same keys); ` +
          'repartition one side (groupBy with { partitions })',
        { details: { left: leftTopic.name, right: rightTopic.name } },
      )
    }
    const window = windowOf(options)
    const name = options.name ?? `${leftTopic.name}-${rightTopic.name}-join`
    const signature = JSON.stringify([kind, window, leftTopic.name, rightTopic.name, leftTopic.partitions])
    let declared = this.#joins.get(name)
    if (declared !== undefined && declared.signature !== signature) {
      throw new FaustusError(
        'FST_JOIN_DEFINITION',
        `join "${name}" is already declared with other topics, kind or window: give this one another { name }`,
        { details: { join: name } },
      )
    }
    if (declared === undefined) {
      const tableOptions: TableOptions<Buffer> = {
        keyType: 'raw',
        valueType: 'raw',
        partitions: leftTopic.partitions,
        keyPartitionCheck: 'off',
        help: `state of join "${name}"`,
      }
      const stores = {
        left: this.#host.declareTable(`${name}-left`, tableOptions),
        right: this.#host.declareTable(`${name}-right`, tableOptions),
        outer: kind === 'inner' ? undefined : this.#host.declareTable(`${name}-outer`, tableOptions),
      }
      const joiner: Joiner = (options.joiner as Joiner | undefined) ?? ((left, right) => [left, right])
      const join = new WindowJoin(kind, window, stores, codecsOf(leftTopic, rightTopic, options.on), joiner)
      declared = { signature, join }
      this.#joins.set(name, declared)
    }
    const join = declared.join
    return processedSource([request.left.source, request.right.source], (input, event: Event<any, any>) =>
      join.process(input === 0 ? LEFT : RIGHT, event),
    )
  }

  #topicOf(channelName: string | undefined, side: string): Topic<any, any> {
    const topic = channelName === undefined ? undefined : this.#host.topic(channelName)
    if (topic === undefined) {
      throw new FaustusError(
        'FST_JOIN_DEFINITION',
        `the ${side} side of a stream–stream join must be a topic's stream (its state is encoded with the topic's ` +
          'codecs); join before mapping values',
      )
    }
    return topic
  }
}

function windowOf(options: StreamJoinRequest['options']): JoinWindowSpec {
  const before = options.before ?? options.within
  const after = options.after ?? options.within
  const grace = options.grace ?? 0
  for (const [what, value] of [
    ['before', before],
    ['after', after],
    ['grace', grace],
  ] as const) {
    if (value === undefined || typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new FaustusError(
        'FST_JOIN_DEFINITION',
        value === undefined
          ? 'a stream–stream join needs a window: { within } ms, or { before, after }'
          : `join window ${what} must be a number of ms >= 0, not ${JSON.stringify(value)}`,
      )
    }
  }
  return { before: before!, after: after!, grace }
}

function selectorFn(selector: JoinKeySelector<any>): (value: unknown) => unknown {
  if (typeof selector === 'function') return selector
  if (selector !== null && typeof selector === 'object' && typeof selector.name === 'string') {
    return (value) => (value as Record<string, unknown> | null)?.[selector.name]
  }
  throw new FaustusError('FST_JOIN_DEFINITION', 'a join key ({ on }) is a record field or a function of the value')
}

function codecsOf(left: Topic<any, any>, right: Topic<any, any>, on: StreamJoinRequest['options']['on']): JoinCodecs {
  const topics = [left, right]
  let keyOf: JoinCodecs['keyOf']
  let encodeKey: (key: unknown) => Buffer
  let decodeKey: (bytes: Buffer) => unknown
  if (on === undefined) {
    // Both sides' keys in the left topic's key encoding: equal keys, equal bytes.
    keyOf = (_side, event) => event.key
    encodeKey = (key) => left.keySerde.encode(key) ?? Buffer.alloc(0)
    decodeKey = (bytes) => left.keySerde.decode(bytes)
  } else {
    const both =
      typeof on === 'object' && on !== null && 'left' in on && 'right' in on
        ? [selectorFn(on.left), selectorFn(on.right)]
        : [selectorFn(on as JoinKeySelector<any>), selectorFn(on as JoinKeySelector<any>)]
    keyOf = (side, event) => both[side](event.value)
    encodeKey = (key) => json.encode(key) as Buffer
    decodeKey = (bytes) => json.decode(bytes)
  }
  return {
    keyOf,
    encodeKey,
    decodeKey,
    encodeValue: (side: Side, value) => {
      const bytes = topics[side].valueSerde.encode(value)
      if (bytes === null) throw new FaustusError('FST_ENCODE', 'a joined value encodes to null')
      return bytes
    },
    decodeValue: (side: Side, bytes) => topics[side].valueSerde.decode(bytes),
  }
}
