import { FaustusError } from '../errors.ts'
import type { Event } from './event.ts'
import type { EventQueue, EventSource } from './queue.ts'
import { FailableSource, filterSource, mapSource, mergeSources, TimedPuller } from './sources.ts'
import {
  type JoinableTable,
  type StreamTableJoinKind,
  type StreamTableJoinOptions,
  streamTableJoinSource,
} from './table-join.ts'
import {
  forwardTo,
  type GroupByKey,
  type SendTarget,
  type StreamChannel,
  type StreamJoinKind,
  type StreamJoinOptions,
  type StreamOptions,
} from './types.ts'

export type { StreamOptions } from './types.ts'

/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1
const done: IteratorReturnResult<undefined> = { done: true, value: undefined }

/**
 * An async iterable over the events of a channel. Iterating yields values; the event behind the current value is
 * `stream.current`. Moving to the next value acks the previous event (unless `noack()`), which is Faust's rule:
 * an event is done when the agent has moved past it.
 */
export class Stream<V = unknown, K = unknown> implements AsyncIterable<V> {
  readonly source: EventSource<K, V>
  readonly options: StreamOptions
  #autoAck = true
  #current: Event<K, V> | undefined
  #eventsTotal = 0
  /** `performance.now()` when a sampled event was handed out; 0 when none is being timed. */
  #sampledAt = 0

  constructor(source: EventSource<K, V>, options: StreamOptions = {}) {
    this.source = source
    this.options = options
  }

  /** How many events this stream has delivered. */
  get eventsTotal(): number {
    return this.#eventsTotal
  }

  /** The event whose value was yielded last. */
  get current(): Event<K, V> | undefined {
    return this.#current
  }

  [Symbol.asyncIterator](): AsyncIterator<V> {
    return this.#iterate((event) => event.value)
  }

  /** Iterates events (key, value, headers, partition, offset, timestamp) instead of bare values. */
  events(): AsyncIterable<Event<K, V>> {
    return { [Symbol.asyncIterator]: () => this.#iterate((event) => event) }
  }

  /** Iterates `[key, value]` pairs. */
  items(): AsyncIterable<[K, V]> {
    return { [Symbol.asyncIterator]: () => this.#iterate((event): [K, V] => [event.key, event.value]) }
  }

  /** Iterates `[index, value]` pairs, counting from `start`. */
  enumerate(start = 0): AsyncIterable<[number, V]> {
    let index = start
    return { [Symbol.asyncIterator]: () => this.#iterate((event): [number, V] => [index++, event.value]) }
  }

  #iterate<T>(project: (event: Event<K, V>) => T): AsyncIterator<T> {
    const queue =
      typeof (this.source as EventQueue<K, V>).shift === 'function' ? (this.source as EventQueue<K, V>) : null
    const finish = (): IteratorReturnResult<undefined> => {
      this.#ackCurrent()
      this.#current = undefined
      return done
    }
    const leave = (): IteratorReturnResult<undefined> => {
      if (this.options.ackOnReturn !== false) this.#ackCurrent()
      return done
    }
    const deliver = (event: Event<K, V> | undefined): IteratorResult<T> => {
      if (event === undefined) return finish()
      this.#current = event
      if ((this.#eventsTotal++ & 31) === 0 && this.options.onSample !== undefined) this.#sampledAt = performance.now()
      this.options.onDeliver?.(event)
      return { done: false, value: project(event) }
    }
    const signal = this.options.signal
    return {
      next: () => {
        if (this.#sampledAt !== 0) this.#takeSample()
        if (signal?.aborted) return Promise.resolve(finish())
        this.#ackCurrent()
        // Fast path: a buffered event is taken without waiting on the source.
        const buffered = queue?.shift()
        if (buffered !== undefined) return Promise.resolve(deliver(buffered))
        return this.source.pull().then(deliver)
      },
      return: () => Promise.resolve(leave()),
    }
  }

  #takeSample(): void {
    this.options.onSample?.((performance.now() - this.#sampledAt) / 1000)
    this.#sampledAt = 0
  }

  #ackCurrent(): void {
    if (this.#autoAck && this.#current !== undefined) this.#current.ack()
  }

  #derive<V2, K2>(source: EventSource<K2, V2>, options: Partial<StreamOptions> = {}): Stream<V2, K2> {
    return new Stream(source, { ...this.options, ...options })
  }

  /**
   * Runs a per-event step; when it raises, the event is reported as delivered first, so the agent's error policy
   * acks (or dead-letters) that event rather than leaving it unacked, which would hold back every commit.
   */
  async #attributed<T>(event: Event<K, V>, step: () => T | Promise<T>): Promise<T> {
    try {
      return await step()
    } catch (error) {
      this.options.onDeliver?.(event)
      throw error
    }
  }

  /** Keeps values passing `predicate`; dropped events are acked. */
  filter(predicate: (value: V) => boolean | Promise<boolean>): Stream<V, K> {
    return this.#derive(filterSource(this.source, (value, event) => this.#attributed(event, () => predicate(value))))
  }

  /** Transforms each value; the event keeps its key, headers and ack. */
  map<V2>(transform: (value: V) => V2 | Promise<V2>): Stream<Awaited<V2>, K> {
    return this.#derive(
      mapSource(this.source, async (event) =>
        event.derive(event.key, await this.#attributed(event, () => transform(event.value))),
      ),
    ) as Stream<Awaited<V2>, K>
  }

  /** Stops acking automatically: call `stream.ack(event)` yourself. */
  noack(): this {
    this.#autoAck = false
    return this
  }

  /** Acks an event (for `noack()` streams). */
  ack(event: Event<K, V>): void {
    event.ack()
  }

  /** Sends every value to `channels` too, and passes it on unchanged. */
  echo(...channels: SendTarget<V, K>[]): Stream<V, K> {
    return this.#derive(
      mapSource(this.source, async (event) => {
        await this.#attributed(event, () =>
          Promise.all(channels.map((channel) => forwardTo(channel, { key: event.key, value: event.value }))),
        )
        return event
      }),
    )
  }

  /** Forwards every event to `channel` and continues from what arrives there. */
  through<V2 = V, K2 = K>(channel: StreamChannel<V2, K2>): Stream<V2, K2> {
    return this.#forward(channel as unknown as StreamChannel<V, K>, (event) => event.key) as unknown as Stream<V2, K2>
  }

  /**
   * Repartitions by a new key: each event is sent, keyed by `key`, to a repartition topic (Faust's name:
   * `{agent}-{source}-{Model.field}-repartition`), and the returned stream reads that topic, so events with the
   * same key reach the same worker.
   */
  groupBy(key: GroupByKey<V>, options: { name?: string; partitions?: number } = {}): Stream<V, unknown> {
    if (this.options.concurrencyIndex !== undefined) {
      throw new FaustusError('FST_APP_DEFINITION', 'an agent with concurrency > 1 cannot use stream.groupBy')
    }
    const isField = typeof key !== 'function'
    const suffixName = options.name ?? (isField ? key.qualifiedName : undefined)
    if (suffixName === undefined) {
      throw new FaustusError('FST_APP_DEFINITION', 'groupBy with a function key needs { name } for the topic suffix')
    }
    const { context, channelName, prefix } = this.options
    if (context === undefined || channelName === undefined) {
      throw new FaustusError('FST_APP_DEFINITION', 'groupBy needs a stream over a topic')
    }
    const topic = context.deriveTopic(channelName, {
      prefix: prefix ? `${prefix}-` : '',
      suffix: `-${suffixName}-repartition`,
      partitions: options.partitions,
    })
    const keyOf = isField ? (value: V) => (value as Record<string, unknown>)[key.name] : key
    return this.#forward(topic as StreamChannel<V, K>, (event) => keyOf(event.value)) as Stream<V, unknown>
  }

  /** Sends each event to `channel` keyed by `keyOf`, acking it once sent; the result streams `channel`. */
  #forward(channel: StreamChannel<V, K>, keyOf: (event: Event<K, V>) => unknown): Stream<V, K> {
    const target = channel.stream()
    const parent = this.source
    const signal = this.options.signal
    const closeTarget = () => (target.source as { close?: () => void }).close?.()
    // An actor restarting calls groupBy again: this run's forwarded stream must end, or its queue would fill up
    // with events nobody reads.
    signal?.addEventListener('abort', closeTarget, { once: true })
    let pumping = false
    // A key function or send that fails ends the pump; the failure goes to whoever reads the forwarded stream (the
    // agent: its error policy and restart), with the failing event as the one being processed.
    const reader = new FailableSource(target.source, (event) => this.options.onDeliver?.(event))
    const pump = async () => {
      let event: Event<K, V> | undefined
      try {
        for (;;) {
          // An event pulled before the abort is still forwarded below: it is not lost, the next run reads it.
          if (signal?.aborted) break
          event = await parent.pull()
          if (event === undefined) break
          const sending = forwardTo(channel, {
            key: (await keyOf(event)) as K,
            value: event.value,
            headers: event.headers,
            // Event time travels with the event (as Kafka Streams repartitions): windows downstream count by it.
            timestamp: event.timestamp,
          })
          if (sending !== undefined) await sending
          event.ack()
          event = undefined
        }
      } catch (error) {
        reader.fail(error, event)
        return
      }
      // The source ended (the agent is stopping): end the forwarded stream too, once it has drained.
      closeTarget()
    }
    return new Stream<V, K>(
      {
        pull: () => {
          if (!pumping) {
            pumping = true
            void pump()
          }
          return reader.pull()
        },
      },
      { ...this.options, channelName: channel.name, prefix: undefined },
    )
  }

  /**
   * Batches values: yields arrays of up to `max` values, or fewer once `within` ms passed since the first of the
   * batch. The batch's events are acked when the next batch is requested.
   */
  async *take(max: number, options: { within?: number } = {}): AsyncGenerator<V[]> {
    const puller = new TimedPuller(this.source)
    const within = options.within ?? Number.POSITIVE_INFINITY
    for (;;) {
      const events: Event<K, V>[] = []
      let deadline = Number.POSITIVE_INFINITY
      let ended = false
      while (events.length < max) {
        const wait = events.length === 0 ? MAX_TIMER_MS : Math.min(MAX_TIMER_MS, deadline - Date.now())
        const { event, timedOut } = await puller.pull(wait)
        if (timedOut) {
          if (events.length > 0) break
          continue
        }
        if (event === undefined) {
          ended = true
          break
        }
        if (events.length === 0) deadline = Date.now() + within
        events.push(event)
        this.#current = event
        this.options.onDeliver?.(event)
      }
      if (events.length > 0) {
        yield events.map((event) => event.value)
        if (this.#autoAck) for (const event of events) event.ack()
      }
      if (ended) return
    }
  }

  /** Interleaves this stream with others, each event acked at its origin. */
  merge<V2, K2>(...others: Stream<V2, K2>[]): Stream<V | V2, K | K2> {
    const sources = [this.source, ...others.map((other) => other.source)] as EventSource<K | K2, V | V2>[]
    return new Stream(mergeSources(sources), { ...this.options, channelName: undefined })
  }

  // Joins (docs/joins.md).

  /**
   * Windowed inner join with another keyed stream (Kafka Streams' KStream#join with JoinWindows): yields
   * `joiner(left, right, key)` (default `[left, right]`) for each pair of records with the same key whose times
   * differ by at most the window. Both streams read topics with as many partitions; the join keeps its state in
   * changelogged tables, so build it before the app's tables start (at the top of a task, as the seed advises).
   */
  join<R, O = [V, R]>(other: Stream<R, any>, options: StreamJoinOptions<V, R, O, K>): Stream<O, K> {
    return this.#joinStreams('inner', other, options)
  }

  /** Same as `join` (Faust's name). */
  innerJoin<R, O = [V, R]>(other: Stream<R, any>, options: StreamJoinOptions<V, R, O, K>): Stream<O, K> {
    return this.#joinStreams('inner', other, options)
  }

  /** Windowed left join: also yields `(left, null)` for a left record without a match, once its window closed. */
  leftJoin<R, O = [V, R | null]>(other: Stream<R, any>, options: StreamJoinOptions<V, R | null, O, K>): Stream<O, K> {
    return this.#joinStreams('left', other, options)
  }

  /** Windowed outer join: unmatched records of either side yield `(left, null)` / `(null, right)` once closed. */
  outerJoin<R, O = [V | null, R | null]>(
    other: Stream<R, any>,
    options: StreamJoinOptions<V | null, R | null, O, K>,
  ): Stream<O, K> {
    return this.#joinStreams('outer', other, options)
  }

  #joinStreams<O>(kind: StreamJoinKind, other: Stream<any, any>, options: StreamJoinOptions<any, any, any, any>) {
    const context = this.options.context ?? other.options.context
    if (context?.joinStreams === undefined) {
      throw new FaustusError('FST_JOIN_DEFINITION', 'a stream–stream join needs streams over topics of an app')
    }
    const source = context.joinStreams({
      kind,
      left: { source: this.source, channelName: this.options.channelName },
      right: { source: other.source, channelName: other.options.channelName },
      options,
    })
    return new Stream(source, { ...this.options, channelName: undefined }) as unknown as Stream<O, K>
  }

  /**
   * Stream–table join (KStream#join(KTable)): each event with the table's value for its key, as the table is when
   * the event is processed; events whose key is not in the table are dropped (acked). A partitioned table must be
   * co-partitioned with the stream (checked: FST_JOIN_COPARTITION); a GlobalTable takes any `key` selector.
   */
  joinTable<T, O = [V, T]>(
    table: JoinableTable<any, T>,
    options: StreamTableJoinOptions<V, K, T, O> = {},
  ): Stream<O, K> {
    return this.#joinTable('inner', table, options)
  }

  /** Stream–table left join: events whose key is not in the table go on with `null`. */
  leftJoinTable<T, O = [V, T | null]>(
    table: JoinableTable<any, T>,
    options: StreamTableJoinOptions<V, K, T, O> = {},
  ): Stream<O, K> {
    return this.#joinTable('left', table, options)
  }

  #joinTable<O>(
    kind: StreamTableJoinKind,
    table: JoinableTable<any, any>,
    options: StreamTableJoinOptions<V, K, any, O>,
  ) {
    const { context, channelName } = this.options
    const partitions = channelName === undefined ? undefined : context?.partitionsOf?.(channelName)
    const source = streamTableJoinSource(this.source, table, kind, options, partitions)
    return this.#derive(source, { channelName: undefined })
  }

  /** Faust's name for `merge`. */
  combine<V2, K2>(...others: Stream<V2, K2>[]): Stream<V | V2, K | K2> {
    return this.merge(...others)
  }
}
