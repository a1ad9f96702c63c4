import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { type App, isFaustusError, type Stream } from '../../src/index.ts'
import { brokerOf, testApp, waitFor } from '../helpers.ts'

const apps: App[] = []
function track(app: App): App {
  apps.push(app)
  return app
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()))
})

function echoApp() {
  const app = track(testApp())
  const echo = app.agent(async function* echo(stream: Stream<number>) {
    for await (const value of stream) yield value
  })
  const topic = app.topic('plain', { valueType: 'json' })
  return { app, echo, topic }
}

/** What a call's promise settles with; never a timeout: the test would fail by its own deadline. */
async function failure(call: () => Promise<unknown>): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

describe('a task that throws while the app starts', () => {
  it('fails start() with the crash: the app is not left running with nothing processed', async () => {
    const app = track(testApp())
    app.agent(async function idle(stream: Stream<number>) {
      for await (const _ of stream) {
      }
    })
    app.task(async function broken() {
      throw new Error('task broke at start')
    })
    const error = await failure(() => app.start())
    expect(isFaustusError(error, 'FST_AGENT_CRASHED')).toBe(true)
    expect((error as Error).message).toContain('broken')
    expect(app.running).toBe(false)
    expect(app.state).toBe('idle')
    await expect(app.done).rejects.toBe(error)
  })

  it('a task that throws after an await in start is caught too', async () => {
    const app = track(testApp())
    app.task(async function brokenLater() {
      await new Promise((resolve) => setImmediate(resolve))
      throw new Error('late')
    })
    const started = await app.start().then(
      () => 'started',
      (error: unknown) => error,
    )
    // Either start saw the crash and failed with it, or the app started and the crash stopped it.
    if (started !== 'started') expect(isFaustusError(started, 'FST_AGENT_CRASHED')).toBe(true)
    await expect(app.done).rejects.toMatchObject({ code: 'FST_AGENT_CRASHED' })
    expect(app.running).toBe(false)
  })

  it('a second stop() while stopping settles only when the app has stopped', async () => {
    const { app } = echoApp()
    await app.start()
    const first = app.stop()
    await app.stop()
    expect(app.state).toBe('idle')
    await first
  })

  it('start() called while stopping starts again once stopped', async () => {
    const { app, echo } = echoApp()
    await app.start()
    const stopping = app.stop()
    await app.start()
    await stopping
    expect(app.running).toBe(true)
    expect(await echo.ask(3)).toBe(3)
  })

  it('stop() called while starting waits for the start, then stops', async () => {
    const { app } = echoApp()
    const starting = app.start()
    const stopping = app.stop()
    await starting
    await stopping
    expect(app.running).toBe(false)
    expect(app.state).toBe('idle')
  })
})

describe('calls that need a running app fail at once with FST_APP_NOT_STARTED', () => {
  const calls = (echo: ReturnType<typeof echoApp>['echo'], topic: ReturnType<typeof echoApp>['topic']) => ({
    ask: () => echo.ask(1, { timeout: 60_000 }),
    cast: () => echo.cast(1),
    send: () => echo.send({ value: 1 }),
    map: async () => {
      for await (const _ of echo.map([1], { timeout: 60_000 })) {
      }
    },
    kvmap: async () => {
      for await (const _ of echo.kvmap([[null, 1]], { timeout: 60_000 })) {
      }
    },
    join: () => echo.join([1], { timeout: 60_000 }),
    kvjoin: () => echo.kvjoin([[null, 1]], { timeout: 60_000 }),
    'topic.send': () => topic.send({ value: 1 }),
  })

  it('before start()', async () => {
    const { app, echo, topic } = echoApp()
    for (const [name, call] of Object.entries(calls(echo, topic))) {
      const error = await failure(call)
      expect(isFaustusError(error, 'FST_APP_NOT_STARTED'), name).toBe(true)
      expect((error as Error).message, name).toContain('before app.start()')
    }
    // Nothing connected behind the app's back.
    expect(app.stats().connected).toBe(false)
  })

  it('after stop()', async () => {
    const { app, echo, topic } = echoApp()
    await app.start()
    expect(await echo.ask(7)).toBe(7)
    await app.stop()
    for (const [name, call] of Object.entries(calls(echo, topic))) {
      const error = await failure(call)
      expect(isFaustusError(error, 'FST_APP_NOT_STARTED'), name).toBe(true)
      expect((error as Error).message, name).toContain('after app.stop()')
    }
    // The stopped app did not reconnect its transport to send.
    expect(app.stats().connected).toBe(false)
  })

  it('an ask waiting when the app stops fails with FST_APP_NOT_STARTED, not at its timeout', async () => {
    const app = track(testApp())
    const silent = app.agent(async function silent(stream: Stream<number>) {
      for await (const _ of stream) {
      }
    })
    await app.start()
    const asking = silent.ask(1, { timeout: 600_000 }).catch((e: unknown) => e)
    await waitFor(() => app.stats().asksWaiting === 1)
    await app.stop()
    expect(isFaustusError(await asking, 'FST_APP_NOT_STARTED')).toBe(true)
  })
})

describe('definitions after start()', () => {
  it('agents, tables, tasks and timers are refused with FST_APP_DEFINITION', async () => {
    const { app } = echoApp()
    await app.start()
    const late: Record<string, () => unknown> = {
      agent: () => app.agent(async function late(_stream: Stream<number>) {}),
      table: () => app.table('late-table'),
      globalTable: () => app.globalTable('late-global'),
      setTable: () => app.setTable('late-set'),
      setGlobalTable: () => app.setGlobalTable('late-set-global'),
      task: () => app.task(async function lateTask() {}),
      timer: () => app.timer(10, function lateTimer() {}),
      crontab: () => app.crontab('* * * * *', function lateCron() {}),
    }
    for (const [name, define] of Object.entries(late)) {
      let error: unknown
      try {
        define()
      } catch (e) {
        error = e
      }
      expect(isFaustusError(error, 'FST_APP_DEFINITION'), name).toBe(true)
      expect((error as Error).message, name).toContain('after app.start()')
    }
    expect(app.agents.has('late')).toBe(false)
    expect(app.tables.size).toBe(0)
    // Once stopped, the app may be defined further and started again.
    await app.stop()
    app.task(async function afterStop() {})
  })

  it('a topic declared while running is created with its options before its first send', async () => {
    const broker = `memory://late-${randomUUID()}`
    const app = track(testApp(undefined, { broker, topicPartitions: 1 }))
    await app.start()
    const late = app.topic('late-topic', { valueType: 'json', partitions: 6 })
    await late.send({ value: 'x' })
    expect(brokerOf(app).topic('late-topic')?.partitions.length).toBe(6)
    // A handle on a known topic is fine and changes nothing.
    expect(app.topic('late-topic').name).toBe('late-topic')
    expect(app.topics.get('late-topic')).toBe(late)
  })

  it('a topic declared while running without a partition count is taken as it exists (as Faust does)', async () => {
    const broker = `memory://late-existing-${randomUUID()}`
    const app = track(testApp(undefined, { broker, topicPartitions: 2 }))
    await app.start()
    const memory = brokerOf(app)
    memory.ensureTopics([{ name: 'made-elsewhere', partitions: 4 }])
    await app.topic('made-elsewhere', { valueType: 'json' }).send({ value: 'x', partition: 3 })
    expect(memory.topic('made-elsewhere')?.partitions.length).toBe(4)
    // A partition count given by the code is still checked.
    memory.ensureTopics([{ name: 'made-elsewhere-too', partitions: 4 }])
    const error = await app
      .topic('made-elsewhere-too', { valueType: 'json', partitions: 2 })
      .send({ value: 'x' })
      .catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_TOPIC_PARTITIONS_MISMATCH')).toBe(true)
  })

  it('a topic declared while running with options the broker refuses fails its send with the reason', async () => {
    const broker = `memory://late-bad-${randomUUID()}`
    const app = track(testApp(undefined, { broker }))
    const existing = app.topic('exists', { partitions: 2 })
    app.agent(existing, async function reader(stream: Stream<unknown>) {
      for await (const _ of stream) {
      }
    })
    await app.start()
    const other = track(testApp(undefined, { broker }))
    await other.start({ client: true })
    const mismatched = other.topic('exists', { partitions: 5 })
    const error = await failure(() => mismatched.send({ value: 1 }))
    expect(isFaustusError(error, 'FST_TOPIC_PARTITIONS_MISMATCH')).toBe(true)
  })

  it('repartition topics derived by groupBy as streams start keep working', async () => {
    const app = track(testApp())
    const orders = app.topic('orders', { valueType: 'json' })
    const totals = new Map<string, number>()
    app.agent(orders, async function byUser(stream: Stream<{ user: string; amount: number }>) {
      for await (const order of stream.groupBy((o) => o.user, { name: 'user' })) {
        totals.set(order.user, (totals.get(order.user) ?? 0) + order.amount)
      }
    })
    await app.start()
    for (const [user, amount] of [
      ['a', 1],
      ['b', 2],
      ['a', 3],
    ] as const)
      await orders.send({ value: { user, amount } })
    await waitFor(() => totals.get('a') === 4 && totals.get('b') === 2)
  })
})
