import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type App, int, isFaustusError, record, type Stream } from '../../src/index.ts'
import { brokerOf, testApp, waitFor } from '../helpers.ts'

/**
 * Every public call's failure path, run while counting unhandled rejections: a promise the framework creates and
 * abandons (a reply waiter, a background pump) would make Node exit 1 in a real process.
 */
const Add = record('test.unhandled.Add', { a: int(), b: int() })

const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
const apps: App[] = []

beforeEach(() => {
  unhandled.length = 0
  process.on('unhandledRejection', onUnhandled)
})
afterEach(async () => {
  try {
    await Promise.all(apps.splice(0).map((app) => app.stop()))
    await settleBackground()
    expect(unhandled).toEqual([])
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})

/** Lets rejections of abandoned promises surface: Node reports them once the microtask queue drained. */
async function settleBackground(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** The error a call fails with (the test fails if it succeeds). */
async function failure(call: () => unknown): Promise<unknown> {
  try {
    await call()
  } catch (error) {
    return error
  }
  throw new Error('expected the call to fail')
}

function build(options: Parameters<typeof testApp>[1] = {}) {
  const app = testApp(undefined, options)
  apps.push(app)
  const adding = app.topic('adding', { valueType: Add })
  const adder = app.agent(adding, async function* adder(stream: Stream<InstanceType<typeof Add>>) {
    for await (const add of stream) yield add.a + add.b
  })
  const silent = app.agent(async function silent(stream: Stream<number>) {
    for await (const _ of stream) {
    }
  })
  const totals = app.table<string, number>('totals', { default: () => 0 })
  return { app, adding, adder, silent, totals }
}

/** Waits until no ask is waiting: with the bug, an abandoned waiter would reject (unhandled) at its timeout here. */
async function noWaiters(app: App): Promise<void> {
  await waitFor(() => app.stats().asksWaiting === 0, 5000, 'no reply waiter left')
  await settleBackground()
}

const notAnAdd = { a: 'x' } as unknown as InstanceType<typeof Add>

describe('no unhandled rejection on any failure path', () => {
  it('ask failing before its send (validation, transport), by timeout, and at stop', async () => {
    const { app, adder, silent } = build()
    await app.start()
    // The ask timeouts are short so that, with the bug, the abandoned reply waiters reject within the test.
    expect(isFaustusError(await failure(() => adder.ask(notAnAdd, { timeout: 20 })), 'FST_VALIDATION')).toBe(true)
    const badPartition = await failure(() => adder.ask(new Add({ a: 1, b: 1 }), { timeout: 20, partition: 99 }))
    expect(isFaustusError(badPartition)).toBe(true)
    expect(isFaustusError(await failure(() => silent.ask(1, { timeout: 20 })), 'FST_ASK_TIMEOUT')).toBe(true)
    await noWaiters(app)
    const waiting = silent.ask(2, { timeout: 600_000 })
    await waitFor(() => app.stats().asksWaiting === 1)
    await app.stop()
    expect(isFaustusError(await failure(() => waiting), 'FST_APP_NOT_STARTED')).toBe(true)
  })

  it('an ask whose reply waiter is cancelled while its send is still in flight', async () => {
    const { app, silent } = build()
    await app.start()
    // Stop begins while the ask is sending: the waiter is cancelled before the ask awaits it.
    const asking = silent.ask(3, { timeout: 600_000 })
    const stopping = app.stop()
    const error = await failure(() => asking)
    await stopping
    expect(isFaustusError(error)).toBe(true)
  })

  it('cast and send: validation, transport, bad replyTo', async () => {
    const { app, adder } = build()
    await app.start()
    expect(isFaustusError(await failure(() => adder.cast(notAnAdd)), 'FST_VALIDATION')).toBe(true)
    expect(isFaustusError(await failure(() => adder.cast(new Add({ a: 1, b: 2 }), { partition: 99 })))).toBe(true)
    expect(isFaustusError(await failure(() => adder.send({ value: notAnAdd })), 'FST_VALIDATION')).toBe(true)
    const badReplyTo = await failure(() => adder.send({ value: new Add({ a: 1, b: 2 }), replyTo: {} as never }))
    expect(isFaustusError(badReplyTo, 'FST_AGENT_NO_TOPIC')).toBe(true)
  })

  it('map, kvmap, join, kvjoin: a failing send, a throwing input, a timeout, an early exit', async () => {
    const { app, adder, silent } = build()
    await app.start()
    const good = (n: number) => new Add({ a: n, b: n })
    const drain = async (iterable: AsyncIterable<unknown>) => {
      for await (const _ of iterable) {
      }
    }
    async function* throwing() {
      yield good(1)
      throw new Error('input broke')
    }
    const cases: Record<string, () => Promise<unknown>> = {
      'map validation': () => drain(adder.map([good(1), notAnAdd, good(2)], { timeout: 20 })),
      'map input throws': () => drain(adder.map(throwing(), { timeout: 20 })),
      'map timeout': () => drain(silent.map([1, 2, 3], { timeout: 20 })),
      'kvmap validation': () => drain(adder.kvmap([['k', notAnAdd]] as never, { timeout: 20 })),
      'join validation': () => adder.join([good(1), notAnAdd], { timeout: 20 }),
      'join timeout': () => silent.join([1, 2], { timeout: 20 }),
      'kvjoin validation': () => adder.kvjoin([['k', notAnAdd]] as never, { timeout: 20 }),
      'join bad window': () => adder.join([good(1)], { maxInFlight: -1 }),
      'join not iterable': () => adder.join(42 as never),
    }
    for (const [name, call] of Object.entries(cases)) {
      const error = await failure(call)
      expect(error, name).toBeInstanceOf(Error)
    }
    // Leaving early while requests are outstanding: their replies come for nobody.
    const many = Array.from({ length: 50 }, (_, i) => good(i))
    for await (const _ of adder.map(many, { timeout: 20 })) break
    await noWaiters(app)
  })

  it('topic.send: validation and transport', async () => {
    const { app, adding } = build()
    await app.start()
    expect(isFaustusError(await failure(() => adding.send({ value: notAnAdd })), 'FST_VALIDATION')).toBe(true)
    expect(isFaustusError(await failure(() => adding.send({ value: new Add({ a: 1, b: 1 }), partition: 99 })))).toBe(
      true,
    )
  })

  it('calls before start and after stop', async () => {
    const { app, adder, adding } = build()
    const calls = () => [
      () => adder.ask(new Add({ a: 1, b: 1 }), { timeout: 20 }),
      () => adder.cast(new Add({ a: 1, b: 1 })),
      () => adder.join([new Add({ a: 1, b: 1 })], { timeout: 20 }),
      () => adding.send({ value: new Add({ a: 1, b: 1 }) }),
    ]
    for (const call of calls()) expect(isFaustusError(await failure(call), 'FST_APP_NOT_STARTED')).toBe(true)
    await app.start()
    await app.stop()
    for (const call of calls()) expect(isFaustusError(await failure(call), 'FST_APP_NOT_STARTED')).toBe(true)
  })

  it('app.start failures: a task crashing, a topic the broker refuses, a bad broker URL; stop twice', async () => {
    const crashing = build()
    crashing.app.task(async function broken() {
      throw new Error('broken task')
    })
    expect(isFaustusError(await failure(() => crashing.app.start()), 'FST_AGENT_CRASHED')).toBe(true)

    const broker = `memory://refuse-${randomUUID()}`
    const first = build({ broker })
    await first.app.start({ client: true })
    await first.app.topic('fixed', { partitions: 2 }).send({ value: 1 })
    const second = build({ broker })
    second.app.topic('fixed', { partitions: 3 })
    expect(isFaustusError(await failure(() => second.app.start()), 'FST_TOPIC_PARTITIONS_MISMATCH')).toBe(true)

    const badUrl = build({ broker: 'nosuch://broker' })
    expect(isFaustusError(await failure(() => badUrl.app.start()), 'FST_BROKER_URL_INVALID')).toBe(true)

    const { app } = build()
    await app.start()
    await Promise.all([app.stop(), app.stop()])
  })

  it('an agent crashing the app with nobody awaiting app.done', async () => {
    const app = testApp()
    apps.push(app)
    const topic = app.topic('crashy', { valueType: 'json' })
    app.agent(
      topic,
      async function crashy(stream: Stream<number>) {
        for await (const _ of stream) throw new Error('crash on purpose')
      },
      { onError: 'crash' },
    )
    await app.start()
    await topic.send({ value: 1 })
    await waitFor(() => !app.running, 5000, 'the crash to stop the app')
  })

  it('table operations outside agents and definitions after start', async () => {
    const { app, totals } = build()
    await app.start()
    const outside = await failure(() => totals.set('k', 1))
    expect(isFaustusError(outside)).toBe(true)
    expect(isFaustusError(await failure(() => app.table('late')), 'FST_APP_DEFINITION')).toBe(true)
    expect(isFaustusError(await failure(() => app.agent(async function late() {})), 'FST_APP_DEFINITION')).toBe(true)
  })
})

describe('the reply topic', () => {
  it('a failed creation is not kept: the next ask tries again', async () => {
    const { app, adder } = build()
    await app.start()
    const broker = brokerOf(app)
    const ensureTopics = broker.ensureTopics.bind(broker)
    let failures = 1
    broker.ensureTopics = (specs) => {
      if (failures-- > 0) throw new Error('broker briefly away')
      return ensureTopics(specs)
    }
    expect(((await failure(() => adder.ask(new Add({ a: 1, b: 1 })))) as Error).message).toBe('broker briefly away')
    expect(await adder.ask(new Add({ a: 2, b: 3 }))).toBe(5)
  })
})
