// Issue 11 points 2, 3 and 5 on a real broker: map/join stream with a bounded window, failed asks leave nothing to
// reject unhandled, and the lifecycle guards (crash while starting, calls before start / after stop, late topics).
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { App, int, isFaustusError, record, type Stream } from '../../src/index.ts'
import { openTransport, waitFor } from '../helpers.ts'

const Add = record('test.kafka.calls.Add', { a: int(), b: int() })

const apps: App[] = []
function kafkaApp(options: Record<string, unknown> = {}): App {
  const app = new App(`calls-${randomUUID().slice(0, 8)}`, {
    broker: `kafka://${inject('kafkaBootstrap')}`,
    logLevel: 'silent',
    topicPartitions: 2,
    ...options,
  })
  apps.push(app)
  return app
}

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)

afterEach(async () => {
  try {
    await Promise.all(apps.splice(0).map((app) => app.stop()))
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})

async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

describe('map and join on Kafka', () => {
  it('an infinite input left after 5 replies sends about window + 5; join of 3,000 keeps order', async () => {
    const window = 20
    const app = kafkaApp({ mapMaxInFlight: window })
    let processed = 0
    const square = app.agent(async function* square(stream: Stream<number>) {
      for await (const value of stream) {
        processed++
        yield value * value
      }
    })
    await app.start()
    const state = { pulled: 0, closed: false }
    async function* forever() {
      try {
        for (let i = 0; ; i++) {
          state.pulled++
          yield i
        }
      } finally {
        state.closed = true
      }
    }
    let replies = 0
    let pulledAtFirstReply = -1
    for await (const _ of square.map(forever())) {
      if (pulledAtFirstReply < 0) pulledAtFirstReply = state.pulled
      if (++replies === 5) break
    }
    await waitFor(() => state.closed, 60_000)
    expect(pulledAtFirstReply).toBeLessThanOrEqual(window + 1)
    expect(state.pulled).toBeLessThanOrEqual(window + 5)
    await waitFor(() => processed === state.pulled, 60_000)

    const values = Array.from({ length: 3000 }, (_, i) => i)
    const results = await square.join(values)
    expect(results).toEqual(values.map((v) => v * v))
  })
})

describe('failed calls and the lifecycle on Kafka', () => {
  it('a failed ask leaves no reply waiter; calls before start and after stop fail at once', async () => {
    process.on('unhandledRejection', onUnhandled)
    unhandled.length = 0
    const app = kafkaApp()
    const adder = app.agent(
      app.topic(`${app.id}-adding`, { valueType: Add }),
      async function* adder(stream: Stream<any>) {
        for await (const add of stream) yield add.a + add.b
      },
    )
    expect(isFaustusError(await failure(() => adder.ask(new Add({ a: 1, b: 2 }))), 'FST_APP_NOT_STARTED')).toBe(true)
    await app.start()
    const invalid = await failure(() => adder.ask({ a: 'x' } as never, { timeout: 200 }))
    expect(isFaustusError(invalid, 'FST_VALIDATION')).toBe(true)
    const badPartition = await failure(() => adder.ask(new Add({ a: 1, b: 2 }), { timeout: 200, partition: 99 }))
    expect(isFaustusError(badPartition)).toBe(true)
    expect(app.stats().asksWaiting).toBe(0)
    expect(await adder.ask(new Add({ a: 2, b: 3 }))).toBe(5)
    await app.stop()
    expect(isFaustusError(await failure(() => adder.ask(new Add({ a: 1, b: 2 }))), 'FST_APP_NOT_STARTED')).toBe(true)
    expect(isFaustusError(await failure(() => adder.cast(new Add({ a: 1, b: 2 }))), 'FST_APP_NOT_STARTED')).toBe(true)
    // Nothing was reconnected behind the stopped app's back (it would keep the process alive).
    expect(app.stats().connected).toBe(false)
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled).toEqual([])
  })

  it('a task that throws while starting fails start(); the app is not left running', async () => {
    const app = kafkaApp()
    app.agent(app.topic(`${app.id}-idle`), async function idle(stream: Stream<unknown>) {
      for await (const _ of stream) {
      }
    })
    app.task(async function broken() {
      throw new Error('broken at start')
    })
    const error = await failure(() => app.start())
    expect(isFaustusError(error, 'FST_AGENT_CRASHED')).toBe(true)
    expect(app.running).toBe(false)
    expect(app.stats().connected).toBe(false)
  })

  it('a topic declared while running is created with its partitions before its first send', async () => {
    const app = kafkaApp()
    await app.start({ client: true })
    const name = `${app.id}-late`
    const late = app.topic(name, { valueType: 'json', partitions: 5 })
    const metadata = await late.send({ value: 1, partition: 4 })
    expect(metadata.partition).toBe(4)
    const transport = await openTransport(app)
    const described = await transport.describeTopics([name])
    await transport.close()
    expect(described.get(name)?.partitions).toBe(5)
  })
})
