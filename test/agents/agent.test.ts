import { afterEach, describe, expect, it } from 'vitest'
import { type App, int, isFaustusError, record, type Stream } from '../../src/index.ts'
import { sleep, testApp, waitFor } from '../helpers.ts'

const Add = record('test.agents.Add', { a: int(), b: int() })
type Add = InstanceType<typeof Add>

let app: App
afterEach(async () => {
  await app?.stop()
})

describe('agents', () => {
  it('ask gets what the agent yields; cast gets no reply', async () => {
    app = testApp()
    const seen: number[] = []
    const adder = app.agent(app.topic('adding', { valueType: Add }), async function* adder(stream: Stream<Add>) {
      for await (const add of stream) {
        seen.push(add.a)
        yield add.a + add.b
      }
    })
    await app.start()
    expect(await adder.ask(new Add({ a: 2, b: 2 }))).toBe(4)
    await adder.cast(new Add({ a: 10, b: 1 }))
    await waitFor(() => seen.includes(10))
  })

  it('uses the default topic {appId}-{name} without a channel', async () => {
    app = testApp('defaults')
    const echo = app.agent(async function* echo(stream: Stream<string>) {
      for await (const value of stream) yield value.toUpperCase()
    })
    expect(echo.channel.name).toBe('defaults-echo')
    await app.start()
    expect(await echo.ask('hi')).toBe('HI')
  })

  it('map yields results as they come; join keeps input order; kv variants pass keys', async () => {
    app = testApp()
    const keys: unknown[] = []
    const pow2 = app.agent(
      async function* pow2(stream: Stream<number>) {
        for await (const event of stream.events()) {
          keys.push(event.key)
          // Later values finish first, so map's order differs from the input's.
          await sleep(10 - event.value)
          yield event.value * event.value
        }
      },
      { concurrency: 8, keyType: 'json' },
    )
    await app.start()
    const mapped: number[] = []
    for await (const r of pow2.map([1, 2, 3, 4, 5, 6, 7, 8])) mapped.push(r)
    expect(mapped.sort((a, b) => a - b)).toEqual([1, 4, 9, 16, 25, 36, 49, 64])
    expect(await pow2.join([1, 2, 3, 4, 5, 6, 7, 8])).toEqual([1, 4, 9, 16, 25, 36, 49, 64])
    expect(
      await pow2.kvjoin([
        ['a', 3],
        ['b', 4],
      ]),
    ).toEqual([9, 16])
    const kv: number[] = []
    for await (const r of pow2.kvmap([['c', 5]])) kv.push(r)
    expect(kv).toEqual([25])
    expect(keys).toEqual(expect.arrayContaining(['a', 'b', 'c']))
  })

  it('send with replyTo delivers the result to another agent', async () => {
    app = testApp()
    const received: number[] = []
    const collector = app.agent(async function collector(stream: Stream<{ value: number }>) {
      for await (const reply of stream) received.push(reply.value)
    })
    const double = app.agent(async function* double(stream: Stream<number>) {
      for await (const value of stream) yield value * 2
    })
    await app.start()
    await double.send({ value: 21, replyTo: collector })
    await waitFor(() => received.length === 1)
    expect(received).toEqual([42])
  })

  it('ask times out with a typed error', async () => {
    app = testApp()
    const silent = app.agent(async function silent(stream: Stream<number>) {
      for await (const _ of stream) {
      }
    })
    await app.start()
    const error = (await silent.ask(1, { timeout: 50 }).catch((e) => e)) as Error
    expect(isFaustusError(error, 'FST_ASK_TIMEOUT')).toBe(true)
    expect(error.message).toContain('silent')
  })

  it('sinks: function, async function, topic and agent get every yielded value', async () => {
    app = testApp()
    const fnSink: number[] = []
    const asyncSink: number[] = []
    const agentSink: number[] = []
    const log = app.topic('agent_log', { valueType: 'json' })
    const logged: number[] = []
    app.task(async function readLog() {
      for await (const value of log.stream()) logged.push(value as number)
    })
    const agentB = app.agent(async function agentB(stream: Stream<number>) {
      for await (const value of stream) agentSink.push(value)
    })
    const agentA = app.agent(
      async function* agentA(stream: Stream<number>) {
        for await (const value of stream) yield value * 2
      },
      {
        sink: [
          (v) => fnSink.push(v),
          async (v) => {
            await sleep(1)
            asyncSink.push(v)
          },
          log,
          agentB,
        ],
      },
    )
    await app.start()
    for (const v of [1, 2, 3]) await agentA.cast(v)
    await waitFor(() => agentSink.length === 3 && logged.length === 3)
    expect(fnSink).toEqual([2, 4, 6])
    expect(asyncSink).toEqual([2, 4, 6])
    expect(logged).toEqual([2, 4, 6])
    expect(agentSink.sort()).toEqual([2, 4, 6])
  })

  it('concurrency runs actors in parallel over one stream, each event once', async () => {
    app = testApp()
    let inFlight = 0
    let maxInFlight = 0
    const done: number[] = []
    const worker = app.agent(
      async function worker(stream: Stream<number>) {
        for await (const value of stream) {
          inFlight++
          maxInFlight = Math.max(maxInFlight, inFlight)
          await sleep(20)
          inFlight--
          done.push(value)
        }
      },
      { concurrency: 5 },
    )
    await app.start()
    for (let i = 0; i < 20; i++) await worker.cast(i)
    await waitFor(() => done.length === 20)
    expect(new Set(done).size).toBe(20)
    expect(maxInFlight).toBeGreaterThan(1)
  })

  it('feeds an agent from an async generator with send (seed 001)', async () => {
    app = testApp()
    const got: number[] = []
    const sink = app.agent(async function sink(stream: Stream<number>) {
      for await (const value of stream) got.push(value)
    })
    async function* produce() {
      for (let i = 0; i < 5; i++) yield i
    }
    await app.start()
    for await (const item of produce()) await sink.send({ value: item })
    await waitFor(() => got.length === 5)
    expect(got).toEqual([0, 1, 2, 3, 4])
  })
})

describe('isolated partitions', () => {
  it('runs one actor per assigned partition, each seeing only its partition', async () => {
    app = testApp()
    const topic = app.topic('iso', { valueType: 'json', partitions: 4 })
    const perActor: Set<number | undefined>[] = []
    let total = 0
    app.agent(
      topic,
      async function isolated(stream: Stream<number>) {
        const partitions = new Set<number | undefined>()
        perActor.push(partitions)
        for await (const event of stream.events()) {
          partitions.add(event.partition)
          total++
        }
      },
      { isolatedPartitions: true },
    )
    await app.start()
    for (let i = 0; i < 40; i++) await topic.send({ key: Buffer.from(`key-${i}`), value: i })
    await waitFor(() => total === 40)
    const used = perActor.filter((set) => set.size > 0)
    expect(used.length).toBe(4)
    for (const set of used) expect(set.size).toBe(1)
  })
})
