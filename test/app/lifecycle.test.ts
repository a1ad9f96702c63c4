import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type Stream } from '../../src/index.ts'
import { sleep, testApp, waitFor } from '../helpers.ts'

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
    await sleep(20)
    // Nothing was processed twice: the first run committed everything it processed.
    expect(processed.sort((a, b) => a - b)).toEqual([...Array(51).keys()])
  })

  it('tasks run at start; timers tick while running; stop ends them', async () => {
    const app = track(testApp())
    let ticks = 0
    let taskRan = false
    app.task(async () => {
      taskRan = true
    })
    app.timer(10, () => {
      ticks++
    })
    await app.start()
    await waitFor(() => ticks >= 3)
    await app.stop()
    const after = ticks
    await sleep(40)
    expect(taskRan).toBe(true)
    expect(ticks).toBe(after)
  })

  it('onLeader timers run only on the worker owning the leader partition', async () => {
    const broker = `memory://leader-${randomUUID()}`
    const ticks = new Map<string, number>()
    const make = (name: string) => {
      const app = track(new App('leader-app', { broker, logLevel: 'silent' }))
      app.timer(10, () => ticks.set(name, (ticks.get(name) ?? 0) + 1), { onLeader: true })
      return app
    }
    const a = make('a')
    const b = make('b')
    await a.start()
    await b.start()
    await sleep(100)
    const leaders = [a, b].filter((app) => app.isLeader)
    expect(leaders.length).toBe(1)
    ticks.clear()
    await sleep(60)
    expect([...ticks.keys()]).toEqual([leaders[0] === a ? 'a' : 'b'])
  })

  it('crontab jobs run on their schedule', async () => {
    const app = track(testApp())
    let runs = 0
    app.crontab('* * * * * *', () => {
      runs++
    })
    await app.start()
    await waitFor(() => runs >= 1, 2500, 'a cron run')
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
