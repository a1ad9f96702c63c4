import type { Agent, AskOptions } from '../agents/agent.ts'
import type { App } from '../app/app.ts'
import { appServices } from '../app/app.ts'
import type { Topic } from '../channels/topic.ts'
import { FaustusError } from '../errors.ts'
import { Message } from '../streams/event.ts'
import type { Collection } from '../tables/collection.ts'
import type { MemoryBroker } from '../transport/memory/broker.ts'
import type { MemoryTransport } from '../transport/memory/transport.ts'
import { turns, VirtualClock } from './virtual-clock.ts'

/** A record to send: its value, and optionally key, headers, partition and timestamp (default: the clock's now). */
export interface InputRecord<V, K> {
  value: V
  key?: K
  headers?: Record<string, Buffer | string>
  partition?: number
  timestamp?: number
}

/** A record read back from a topic, decoded with the topic's types. */
export interface OutputRecord<V, K> {
  topic: string
  partition: number
  offset: number
  key: K
  value: V
  headers: Record<string, Buffer>
  timestamp: number
}

export interface DriverOptions {
  /** Where the virtual clock starts (ms since the epoch); default 2026-01-01T00:00:00Z. */
  startTime?: number
  /** Event-loop turns `idle()` may take before it fails with FST_TEST_NOT_IDLE; default 100 000. */
  maxTurns?: number
}

/**
 * Drives an app on the memory transport in a test: send records, run until idle, read topics and tables, move a
 * virtual clock, restart. The app's clock is replaced by the driver's before the app starts.
 */
export class TestDriver {
  readonly app: App
  readonly clock: VirtualClock
  readonly #maxTurns: number

  constructor(app: App, options: DriverOptions = {}) {
    if (!app.settings.broker.startsWith('memory://')) {
      throw new FaustusError('FST_TEST_DRIVER', 'the test driver runs an app on the memory transport (memory://)', {
        details: { broker: app.settings.broker },
      })
    }
    if (app.running) throw new FaustusError('FST_TEST_DRIVER', 'give the test driver an app that is not started')
    this.app = app
    this.clock = new VirtualClock(options.startTime)
    this.#maxTurns = options.maxTurns ?? 100_000
    app.clock = this.clock
  }

  /** Starts the app (joins its group on the memory broker, recovers its tables), then runs until idle. */
  async start(): Promise<this> {
    await this.app.start()
    await this.idle()
    return this
  }

  /** Runs until idle, then stops the app gracefully (the final checkpoint commits what was processed). */
  async stop(): Promise<void> {
    if (this.app.running) await this.idle()
    await this.app.stop()
  }

  /**
   * Stops the app and starts it again on the same memory broker and stores: what was committed is not read again,
   * tables come back from their stores and changelogs. Pass a fresh app (same id and broker) to test recovery into
   * empty stores.
   */
  async restart(next?: App): Promise<TestDriver> {
    await this.stop()
    if (next === undefined || next === this.app) return this.start()
    const driver = new TestDriver(next, { startTime: this.clock.now(), maxTurns: this.#maxTurns })
    return driver.start()
  }

  /** Sends a record to a topic or an agent's channel, stamped with the virtual clock's time unless given. */
  async send<V, K>(target: Topic<V, K> | Agent<V, K, any>, record: InputRecord<V, K>): Promise<void> {
    await target.send({ ...record, timestamp: record.timestamp ?? this.clock.now() })
  }

  /** Sends each value (unkeyed) in order. */
  async sendAll<V, K>(target: Topic<V, K> | Agent<V, K, any>, values: Iterable<V>): Promise<void> {
    for (const value of values) await this.send(target, { value })
  }

  /**
   * Asks an agent: resolves with its reply. An ask whose agent never answers fails with FST_ASK_TIMEOUT once the
   * virtual clock passes its timeout (`advance`), never in real time.
   */
  ask<V, K, R>(agent: Agent<V, K, R>, value: V, options: AskOptions<K> = {}): Promise<R> {
    return agent.ask(value, options)
  }

  /**
   * Runs until idle: every record of every topic the app reads is processed and acknowledged, every output the
   * agents and sinks produced is on its topic (and processed, where the app reads it too), and a checkpoint
   * committed it all. Fails with FST_TEST_NOT_IDLE if the app keeps producing (an endless loop).
   */
  async idle(): Promise<void> {
    const runtime = appServices(this.app).runtime
    let stable = 0
    let behind: string[] = []
    for (let turn = 0; turn < this.#maxTurns; turn++) {
      await turns(1)
      if (!this.app.running) {
        // Stopped: by a crash (its error is thrown here) or by the test.
        await Promise.race([this.app.done, undefined])
        return
      }
      await runtime.commit()
      behind = this.#behind()
      const caughtUp = behind.length === 0 && runtime.conductor.acks.inFlight() === 0
      stable = caughtUp ? stable + 1 : 0
      // Twice in a row: a record appended by work the last commit released is seen on the next turn.
      if (stable >= 2) return
    }
    throw new FaustusError('FST_TEST_NOT_IDLE', `the app did not become idle within ${this.#maxTurns} turns`, {
      details: { behind },
    })
  }

  /**
   * Waits until the app's run of `task` (a function given to `app.task`) returns, then runs until idle: for tasks
   * that end, such as one seeding a topic or feeding it from a generator. (A task that never ends, iterating a
   * stream, would keep this waiting until the app stops.)
   */
  async taskDone(task: (...args: never[]) => unknown): Promise<void> {
    const index = this.app.tasks.findIndex((t) => t.fn === task)
    if (index < 0) throw new FaustusError('FST_TEST_DRIVER', 'taskDone() needs a function given to app.task()')
    const run = appServices(this.app).taskRuns[index]
    if (run === undefined) throw new FaustusError('FST_TEST_DRIVER', 'the app is not started: start the driver first')
    await run
    await this.idle()
  }

  /** Advances the virtual clock by `ms` (timers, crontab jobs, ask timeouts fire on the way), then runs until idle. */
  async advance(ms: number): Promise<void> {
    await this.clock.advance(ms, async () => {
      await turns(3)
      if (this.app.running) await this.idle()
    })
  }

  /** Commits what is processed now (a checkpoint), as the periodic commit would. */
  async checkpoint(): Promise<void> {
    await appServices(this.app).runtime.commit()
  }

  /** Every record on `topic` so far, in partition then offset order, decoded with the topic's key and value types. */
  records<V, K>(topic: Topic<V, K> | string, options: { partition?: number } = {}): OutputRecord<V, K>[] {
    const resolved = typeof topic === 'string' ? this.#topic<V, K>(topic) : topic
    const broker = this.#broker()
    const described = broker.topic(resolved.name)
    if (described === undefined) return []
    const out: OutputRecord<V, K>[] = []
    described.partitions.forEach((log, partition) => {
      if (options.partition !== undefined && options.partition !== partition) return
      for (let offset = log.earliest; offset < log.latest; offset++) {
        const record = log.at(offset)
        if (record === undefined) continue
        // Decoded as the app's streams decode it: an ask's request envelope is unwrapped to its value.
        const message = new Message({ ...record, topic: resolved.name, partition, offset }, null)
        const event = resolved.decode(record, message)
        out.push({
          topic: resolved.name,
          partition,
          offset,
          key: event.key,
          value: event.value,
          headers: record.headers as Record<string, Buffer>,
          timestamp: record.timestamp,
        })
      }
    })
    return out
  }

  /** The values on `topic`, as `records` orders them. */
  values<V, K>(topic: Topic<V, K> | string): V[] {
    return this.records(topic).map((record) => record.value)
  }

  /** A table's entries as a Map (this worker holds every partition in a driver test). */
  table<K, V>(table: Collection & { entries(): Iterable<[K, V]> }): Map<K, V> {
    return new Map(table.entries())
  }

  #topic<V, K>(name: string): Topic<V, K> {
    const topic = this.app.topics.get(name)
    if (topic === undefined) {
      throw new FaustusError('FST_TEST_DRIVER', `the app has no topic "${name}"`, { details: { topic: name } })
    }
    return topic
  }

  #broker(): MemoryBroker {
    const transport = appServices(this.app).runtime.transport as MemoryTransport | undefined
    if (transport?.broker === undefined) {
      throw new FaustusError('FST_TEST_DRIVER', 'the app is not connected: start the driver first')
    }
    return transport.broker
  }

  /** The partitions the app's streams read that are not committed up to their end (`topic/partition`). */
  #behind(): string[] {
    const runtime = appServices(this.app).runtime
    const consumer = runtime.consumer
    if (consumer === undefined) return []
    const broker = this.#broker()
    const group = broker.group(this.app.groupId)
    // Topics streams read (changelogs are read by recovery, not committed by the group).
    const read = new Set(runtime.conductor.topicNames())
    const behind: string[] = []
    for (const tp of consumer.assignment().actives) {
      if (!read.has(tp.topic)) continue
      const log = broker.log(tp)
      const committed = group.committed(tp) ?? log.earliest
      if (committed < log.latest) behind.push(`${tp.topic}/${tp.partition}`)
    }
    return behind
  }
}

/** Creates a driver over `app` and starts it. */
export async function drive(app: App, options: DriverOptions = {}): Promise<TestDriver> {
  return new TestDriver(app, options).start()
}
