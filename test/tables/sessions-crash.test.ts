// Session windows under at-least-once across a crash (memory transport). A crash cuts the changelog between any
// two records; the cut log is what the restarted worker recovers. A session update writes several records (the
// merged session and the tombstones of the sessions it replaces): no cut may leave the key without its events.
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type Stream } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { brokerOf } from '../helpers.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

/** Clicks per user session (5 s gap), one partition. */
function sessions(broker: string) {
  const app = new App('sessions-crash', { broker, logLevel: 'silent', topicPartitions: 1 })
  const input = app.topic('clicks', { keyType: 'json', valueType: 'json' })
  const table = app.table<string, number>('clicks', { default: () => 0 })
  const bySession = table.session(5_000, { merge: (a, b) => a + b })
  app.agent(input, async function count(stream: Stream<string, string>) {
    for await (const user of stream) bySession.update(user, (n) => n + 1)
  })
  const send = (driver: TestDriver, at: number) => driver.send(input, { key: 'ann', value: 'ann', timestamp: at })
  const sessionsOfAnn = () => bySession.get('ann').map(([range, value]) => [range.start, range.end, value])
  return { app, table, send, sessionsOfAnn }
}

async function started(app: App): Promise<TestDriver> {
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

describe('session windows across a changelog cut anywhere', () => {
  it('recovers, from every prefix of the changelog, the sessions as they were after some event', async () => {
    const t = sessions(`memory://sessions-crash-${randomUUID()}`)
    const driver = await started(t.app)
    // 1 000 and 3 000 extend one session; 12 000 starts another; 7 000 bridges the two (three records then).
    const states: unknown[] = []
    for (const at of [1_000, 3_000, 12_000, 7_000]) {
      await t.send(driver, at)
      await driver.idle()
      states.push(t.sessionsOfAnn())
    }
    expect(states.at(-1)).toEqual([[1_000, 12_000, 4]])
    const topic = t.table.changelogTopic
    const log = brokerOf(t.app).log({ topic, partition: 0 })
    const changelog = log.read(log.earliest, log.latest - log.earliest, null)
    expect(changelog.length).toBeGreaterThan(states.length)

    for (let cut = 1; cut <= changelog.length; cut++) {
      const broker = `memory://sessions-crash-cut-${randomUUID()}`
      brokerOf(broker).ensureTopics([{ name: topic, partitions: 1 }])
      const cutLog = brokerOf(broker).log({ topic, partition: 0 })
      for (const record of changelog.slice(0, cut)) cutLog.append({ ...record, offset: cutLog.latest })
      const restarted = sessions(broker)
      await started(restarted.app)
      expect(states, `the changelog cut after ${cut} of ${changelog.length} records`).toContainEqual(
        restarted.sessionsOfAnn(),
      )
      await drivers.pop()!.stop()
    }
  })
})
