import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type Stream } from '../../src/index.ts'
import { VirtualClock } from '../../src/testing/index.ts'
import { brokerOf, sleep, testApp, waitFor } from '../helpers.ts'

const apps: App[] = []
function track(app: App): App {
  apps.push(app)
  return app
}
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.stop()))
})

describe('app lifecycle', () => {
  it('graceful stop drains buffered events and commits; a restart resumes after them', async () => {
    const broker = `memory://lifecycle-${randomUUID()}`
    const processed: number[] = []
    const build = () => {
      const app = track(new App('drain', { broker, logLevel: 'silent', topicPartitions: 2 }))
      const topic = app.topic('numbers', { valueType: 'json' })
      app.agent(topic, async function slow(stream: Stream<number>) {
        for await (const value of stream) {
          await sleep(1)
          processed.push(value)
        }
      })
      return { app, topic }
    }
    const first = build()
    await first.app.start()
    for (let i = 0; i < 50; i++) await first.topic.send({ value: i })
    await waitFor(() => first.app.stats().eventsReceived === 50)
    expect(processed.length).toBeLessThan(50)
    await first.app.stop()
    // Everything fetched before stop was processed: stop drains buffers instead of dropping them.
    expect(processed.length).toBe(50)
    const second = build()
    await second.app.start()
    await second.topic.send({ value: 50 })
    await waitFor(() => processed.length === 51)
    // Read to the end: every record of the topic consumed and committed by the second run, so a duplicate shows.
    const memory = brokerOf(broker)
    const readToEnd = async () => {
      await second.app.commit()
      const ends = [0, 1].map((partition) => memory.log({ topic: 'numbers', partition }).latest)
      return ends.every((end, partition) => memory.group('drain').committed({ topic: 'numbers', partition }) === end)
    }
    await waitFor(readToEnd, 5000, 'the second run to commit every record')
    // Nothing was processed twice: the first run committed everything it processed.
    expect(processed.sort((a, b) => a - b)).toEqual([...Array(51).keys()])
  })

  it('tasks run at start; timers tick while running; stop ends them', async () => {
    const app = track(testApp())
    const clock = new VirtualClock()
    app.clock = clock
    let ticks = 0
    let taskRan = false
    app.task(async () => {
      taskRan = true
    })
    app.timer(10, () => {
      ticks++
    })
    await app.start()
    await clock.advance(30)
    expect(ticks).toBe(3)
    await app.stop()
    // Stopped: nothing is scheduled any more, and moving time runs nothing.
    expect(clock.pending).toBe(0)
    await clock.advance(40)
    expect(taskRan).toBe(true)
    expect(ticks).toBe(3)
  })

  it('onLeader timers run only on the worker owning the leader partition', async () => {
    const broker = `memory://leader-${randomUUID()}`
    const ticks = new Map<string, number>()
    const clock = new VirtualClock()
    const make = (name: string) => {
      const app = track(new App('leader-app', { broker, logLevel: 'silent' }))
      app.clock = clock
      app.timer(10, () => ticks.set(name, (ticks.get(name) ?? 0) + 1), { onLeader: true })
      return app
    }
    const a = make('a')
    const b = make('b')
    await a.start()
    await b.start()
    // b's start returns once the rebalance that includes it is done: one of the two holds the leader partition.
    const leaders = [a, b].filter((app) => app.isLeader)
    expect(leaders.length).toBe(1)
    await clock.advance(60)
    expect([...ticks.keys()]).toEqual([leaders[0] === a ? 'a' : 'b'])
    expect(ticks.get(leaders[0] === a ? 'a' : 'b')).toBe(6)
  })

  it('crontab jobs run on their schedule', async () => {
    const app = track(testApp())
    const clock = new VirtualClock(Date.UTC(2026, 0, 1, 0, 0, 0, 500))
    app.clock = clock
    let runs = 0
    app.crontab('* * * * * *', () => {
      runs++
    })
    await app.start()
    await clock.advance(500)
    expect(runs).toBe(1)
    await clock.advance(3000)
    expect(runs).toBe(4)
  })

  it('a stream created after start joins the subscription', async () => {
    const app = track(testApp())
    const late = app.topic('late', { valueType: 'json' })
    const got: unknown[] = []
    await app.start()
    void (async () => {
      for await (const value of late.stream()) got.push(value)
    })()
    await late.send({ value: 'hello' })
    await waitFor(() => got.length === 1)
    expect(got).toEqual(['hello'])
  })
})
