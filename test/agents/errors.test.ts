import { afterEach, describe, expect, it } from 'vitest'
import { type App, DEAD_LETTER_HEADERS, type Event, int, record, type Stream } from '../../src/index.ts'
import { testApp, waitFor } from '../helpers.ts'

let app: App
afterEach(async () => {
  await app?.stop()
})

describe('agent errors', () => {
  it('by default logs, acks the failing event and goes on with the next', async () => {
    app = testApp()
    const seen: number[] = []
    const agent = app.agent(async function fragile(stream: Stream<number>) {
      for await (const value of stream) {
        if (value === 2) throw new Error('boom')
        seen.push(value)
      }
    })
    await app.start()
    for (const v of [1, 2, 3]) await agent.cast(v, { partition: 0 })
    await waitFor(() => seen.length === 2)
    expect(seen).toEqual([1, 3])
    // Every event was acked, the failing one included, so all are committed.
    await waitFor(() => app.stats().eventsInFlight === 0)
  })

  it('sends the failing event with its error to a dead-letter topic', async () => {
    app = testApp()
    const dead: Event[] = []
    const dlq = app.topic('dead', { valueType: 'json' })
    app.task(async function readDead() {
      for await (const event of dlq.stream().events()) dead.push(event)
    })
    const agent = app.agent(
      async function picky(stream: Stream<number>) {
        for await (const value of stream) if (value < 0) throw new TypeError(`negative: ${value}`)
      },
      { onError: { deadLetter: 'dead' } },
    )
    await app.start()
    await agent.cast(-5, { key: 'k1' as never })
    await agent.cast(7)
    await waitFor(() => dead.length === 1)
    const [event] = dead
    expect(event.value).toBe(-5)
    expect(event.headers[DEAD_LETTER_HEADERS.error].toString()).toBe('negative: -5')
    expect(event.headers[DEAD_LETTER_HEADERS.agent].toString()).toBe('picky')
    expect(event.headers[DEAD_LETTER_HEADERS.topic].toString()).toBe(agent.channel.name)
  })

  it("with onError 'crash' the app stops and `done` rejects with FST_AGENT_CRASHED", async () => {
    app = testApp()
    const agent = app.agent(
      async function strict(stream: Stream<number>) {
        for await (const _ of stream) throw new Error('fatal')
      },
      { onError: 'crash' },
    )
    await app.start()
    await agent.cast(1)
    await expect(app.done).rejects.toMatchObject({ code: 'FST_AGENT_CRASHED' })
    expect(app.running).toBe(false)
  })

  it("supervisor 'crashing' crashes the app on the first failure", async () => {
    app = testApp()
    const agent = app.agent(
      async function once(stream: Stream<number>) {
        for await (const _ of stream) throw new Error('no restarts')
      },
      { supervisor: 'crashing' },
    )
    await app.start()
    await agent.cast(1)
    await expect(app.done).rejects.toMatchObject({ code: 'FST_AGENT_CRASHED' })
  })

  it('maxRestarts within the window gives up and crashes', async () => {
    app = testApp()
    const agent = app.agent(
      async function flaky(stream: Stream<number>) {
        for await (const _ of stream) throw new Error('again')
      },
      { supervisor: { strategy: 'one_for_one', maxRestarts: 2, windowMs: 10_000 } },
    )
    await app.start()
    for (const v of [1, 2, 3, 4]) await agent.cast(v)
    await expect(app.done).rejects.toMatchObject({ code: 'FST_AGENT_CRASHED' })
  })

  it('one_for_all restarts every actor of the agent', async () => {
    app = testApp()
    let starts = 0
    const agent = app.agent(
      async function group(stream: Stream<number>) {
        starts++
        for await (const value of stream) if (value === 0) throw new Error('restart all')
      },
      { concurrency: 3, supervisor: 'one_for_all' },
    )
    await app.start()
    expect(starts).toBe(3)
    await agent.cast(0)
    for (const v of [1, 2, 3, 4, 5, 6]) await agent.cast(v)
    // The failed actor restarts at once; its siblings end at their next step and restart too.
    await waitFor(() => starts >= 5, 2000, 'sibling restarts')
  })

  it('undecodable and invalid records are logged, skipped and the stream goes on', async () => {
    const Point = record('test.errors.Point', { x: int() })
    app = testApp()
    const points = app.topic('points', { valueType: Point, partitions: 1 })
    const raw = app.topic('points', { valueType: 'raw', partitions: 1 })
    const got: number[] = []
    app.agent(points, async function readPoints(stream) {
      for await (const point of stream) got.push(point.x)
    })
    await app.start()
    await raw.send({ value: Buffer.from('{not json') })
    await raw.send({ value: Buffer.from('{"x": "one", "__faust": {"ns": "test.errors.Point"}}') })
    await raw.send({ value: Buffer.from('{"x": 1, "__faust": {"ns": "no.such.Namespace"}}') })
    await points.send({ value: new Point({ x: 42 }) })
    await waitFor(() => got.length === 1)
    expect(got).toEqual([42])
    expect(app.stats().undecodable).toBe(3)
    await waitFor(() => app.stats().eventsInFlight === 0)
  })
})
