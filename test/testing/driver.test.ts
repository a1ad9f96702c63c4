import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type AppOptions, type Stream } from '../../src/index.ts'
import { captureLogs, TestDriver } from '../../src/testing/index.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

function newApp(id: string, options: AppOptions = {}): App {
  return new App(id, { broker: `memory://${id}-${randomUUID()}`, logLevel: 'silent', topicPartitions: 4, ...options })
}

async function started(app: App): Promise<TestDriver> {
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

function wordCount(options: AppOptions = {}) {
  const app = newApp('wordcount', options)
  const sentences = app.topic('sentences', { valueType: 'json' })
  const counted = app.topic('counted', { keyType: 'json', valueType: 'json' })
  const words = app.topic('words', { keyType: 'json', valueType: 'json' })
  const counts = app.table<string, number>('counts', { default: () => 0 })
  app.agent(sentences, async function split(stream: Stream<string>) {
    // Keyed by the word: each word goes to the partition of the table that counts it.
    for await (const sentence of stream)
      for (const word of sentence.split(/\s+/)) await words.send({ key: word, value: word })
  })
  app.agent(words, async function count(stream: Stream<string, string>) {
    for await (const word of stream) {
      counts.update(word, (n) => n + 1)
      await counted.send({ key: word, value: counts.get(word) })
    }
  })
  return { app, sentences, counted, counts }
}

describe('TestDriver', () => {
  it('counts words: send sentences, run until idle, read the table and the output topic', async () => {
    const { app, sentences, counted, counts } = wordCount()
    const driver = await started(app)
    await driver.sendAll(sentences, ['the cat', 'the dog'])
    await driver.idle()
    expect(Object.fromEntries(driver.table(counts))).toEqual({ the: 2, cat: 1, dog: 1 })
    const out = driver.records(counted)
    expect(out).toHaveLength(4)
    const the = out.filter((record) => record.key === 'the')
    expect(the.map((record) => record.value)).toEqual([1, 2])
    expect(new Set(the.map((record) => record.partition)).size).toBe(1)
  })

  it('keeps keys, headers and timestamps of what it sends', async () => {
    const app = newApp('echo')
    const input = app.topic('input', { keyType: 'json', valueType: 'json' })
    const driver = await started(app)
    await driver.send(input, { key: 'k', value: { n: 1 }, headers: { trace: 'abc' }, timestamp: 42 })
    const [record] = driver.records(input)
    expect(record).toMatchObject({ key: 'k', value: { n: 1 }, timestamp: 42 })
    expect(record.headers.trace.toString()).toBe('abc')
  })

  it('closes tumbling windows as the virtual clock moves, and onWindowClose fires', async () => {
    // One partition: windows expire per partition, by the latest event time seen there.
    const app = newApp('views', { topicPartitions: 1 })
    const views = app.topic('views', { keyType: 'json', valueType: 'json' })
    const perPage = app.table<string, number>('per_page', { default: () => 0 }).tumbling(10_000, { expires: 10_000 })
    const closed: [string, number, number][] = []
    perPage.onWindowClose((key, value, range) => void closed.push([key as string, value as number, range.start]))
    app.agent(views, async function count(stream: Stream<string, string>) {
      // Keyed by page, so the table's key partition is the event's; windows go by the event's timestamp.
      for await (const page of stream) perPage.update(page, (n) => n + 1)
    })
    const driver = await started(app)
    const start = driver.clock.now()
    for (const page of ['home', 'home', 'about']) await driver.send(views, { key: page, value: page })
    await driver.idle()
    expect(closed).toEqual([])
    // 25 s later a new view moves stream time past the first window's expiry: it closes.
    await driver.advance(25_000)
    await driver.send(views, { key: 'home', value: 'home' })
    await driver.idle()
    await perPage.closesSettled()
    expect(closed.sort()).toEqual([
      ['about', 1, start],
      ['home', 2, start],
    ])
  })

  it('reads a windowed table relative to now by the virtual clock', async () => {
    const app = newApp('now', { topicPartitions: 1 })
    const hits = app.topic('hits', { keyType: 'json', valueType: 'json' })
    const perMinute = app
      .table<string, number>('per_minute', { default: () => 0 })
      .tumbling(60_000)
      .relativeToNow()
    app.agent(hits, async function count(stream: Stream<string, string>) {
      for await (const key of stream) perMinute.update(key, (n) => n + 1)
    })
    const driver = await started(app)
    await driver.send(hits, { key: 'a', value: 'a' })
    await driver.idle()
    expect(perMinute.get('a').now()).toBe(1)
    await driver.advance(60_000)
    expect(perMinute.get('a').now()).toBe(0)
    expect(perMinute.get('a').delta(60_000)).toBe(1)
  })

  it('recovers tables by restart: a fresh app on the same broker reads the changelog back', async () => {
    const broker = `memory://restart-${randomUUID()}`
    const first = wordCount({ broker })
    const driver = new TestDriver(first.app)
    await driver.start()
    await driver.sendAll(first.sentences, ['a b a'])
    await driver.idle()
    await driver.checkpoint()
    const second = wordCount({ broker })
    const restarted = await driver.restart(second.app)
    drivers.push(restarted)
    expect(Object.fromEntries(restarted.table(second.counts))).toEqual({ a: 2, b: 1 })
    await restarted.send(second.sentences, { value: 'b' })
    await restarted.idle()
    expect(second.counts.get('b')).toBe(2)
    // Nothing was processed twice: one output per word occurrence.
    expect(restarted.records(second.counted)).toHaveLength(4)
  })

  it('restarts the same app: committed records are not read again, its tables are kept', async () => {
    const { app, sentences, counted, counts } = wordCount()
    const driver = await started(app)
    await driver.sendAll(sentences, ['x y'])
    await driver.idle()
    await driver.restart()
    await driver.send(sentences, { value: 'x' })
    await driver.idle()
    expect(Object.fromEntries(driver.table(counts))).toEqual({ x: 2, y: 1 })
    expect(driver.values(counted)).toHaveLength(3)
  })

  it('runs a timer and a crontab job from the virtual clock only', async () => {
    const app = newApp('timers')
    const ticks: number[] = []
    const crons: number[] = []
    app.timer(60_000, () => void ticks.push(app.clock.now()))
    app.crontab('0 * * * *', () => void crons.push(app.clock.now()))
    const driver = await started(app)
    await driver.advance(59_999)
    expect(ticks).toHaveLength(0)
    await driver.advance(1)
    expect(ticks).toHaveLength(1)
    await driver.advance(3 * 3_600_000)
    expect(ticks).toHaveLength(181)
    expect(crons).toHaveLength(3)
    expect(crons.every((t) => t % 3_600_000 === 0)).toBe(true)
  })

  it('expires an ask when the virtual clock passes its timeout', async () => {
    const app = newApp('asks')
    const silent = app.agent(async function silent(stream: Stream<number>) {
      for await (const _ of stream) {
        // never yields: askers get no reply
      }
    })
    const driver = await started(app)
    const asked = driver.ask(silent, 1, { timeout: 30_000 })
    const outcome = asked.then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    )
    await driver.idle()
    await driver.advance(29_999)
    await driver.advance(1)
    expect(await outcome).toBe('FST_ASK_TIMEOUT')
  })

  it('answers an ask', async () => {
    const app = newApp('double')
    const double = app.agent(async function* double(stream: Stream<number>) {
      for await (const n of stream) yield n * 2
    })
    const driver = await started(app)
    expect(await driver.ask(double, 21)).toBe(42)
  })

  it('shows a failing agent logged, acked and dead-lettered', async () => {
    const { logger, entries } = captureLogs('warn')
    const app = newApp('failing', { logger } as AppOptions)
    const dead = app.topic('dead', { valueType: 'json' })
    const picky = app.agent(
      async function picky(stream: Stream<number>) {
        for await (const n of stream) if (n < 0) throw new TypeError(`negative: ${n}`)
      },
      { onError: { deadLetter: 'dead' } },
    )
    const driver = await started(app)
    await driver.sendAll(picky, [1, -5, 7])
    await driver.idle()
    expect(driver.values(dead)).toEqual([-5])
    expect(entries.some((entry) => entry.level === 'error' || entry.level === 'warn')).toBe(true)
    // Acked: every input offset is committed, nothing is left to redeliver.
    expect(driver.records(picky.channel.name)).toHaveLength(3)
  })

  it('fails with FST_TEST_NOT_IDLE when the app never settles', async () => {
    const app = newApp('loop', { topicPartitions: 1 })
    const ping = app.topic('ping', { valueType: 'json' })
    app.agent(ping, async function bounce(stream: Stream<number>) {
      for await (const n of stream) await ping.send({ value: n + 1 })
    })
    const driver = new TestDriver(app, { maxTurns: 200 })
    await driver.start()
    await driver.send(ping, { value: 0 })
    await expect(driver.idle()).rejects.toMatchObject({ code: 'FST_TEST_NOT_IDLE', details: { behind: ['ping/0'] } })
    await app.stop()
  })

  it("surfaces a crash: with onError 'crash' idle() rejects with the agent's error", async () => {
    const app = newApp('crashing', { topicPartitions: 1 })
    const strict = app.agent(
      async function strict(stream: Stream<number>) {
        for await (const _ of stream) throw new Error('fatal')
      },
      { onError: 'crash' },
    )
    const driver = new TestDriver(app)
    await driver.start()
    await driver.send(strict, { value: 1 })
    await expect(driver.idle()).rejects.toMatchObject({ code: 'FST_AGENT_CRASHED' })
    await expect(app.done).rejects.toMatchObject({ code: 'FST_AGENT_CRASHED' })
  })

  it('refuses an app that is not on the memory transport', () => {
    const app = new App('kafka-app', { broker: 'kafka://localhost:9092', logLevel: 'silent' })
    expect(() => new TestDriver(app)).toThrow(expect.objectContaining({ code: 'FST_TEST_DRIVER' }))
  })
})
