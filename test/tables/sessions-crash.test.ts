// Session windows under at-least-once across a crash (memory transport). A crash cuts the changelog between any
// two records; the cut log is what the restarted worker recovers. A session update writes several records (the
// merged session and the tombstones of the sessions it replaces): no cut may leave the key without its events.
import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type FinalResult, type Stream } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { brokerOf, stopAfterEach, waitFor } from '../helpers.ts'
import { lmdbDir } from './helpers.ts'

const apps = stopAfterEach()

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

  it('a replay after a crash does not add the events of a closed session to a later session', async () => {
    const broker = `memory://sessions-replay-${randomUUID()}`
    // No checkpoint by interval: the crash leaves the committed offset at 0, every click is read again.
    const worker = () => {
      const app = new App('sessions-replay', {
        broker,
        logLevel: 'silent',
        topicPartitions: 1,
        processingGuarantee: 'at_least_once',
        brokerCommitIntervalMs: 3_600_000,
      })
      const input = app.topic('clicks', { keyType: 'json', valueType: 'json' })
      const finals = app.topic('finals', { keyType: 'json', valueType: 'json' })
      const bySession = app
        .table<string, number>('clicks', { default: () => 0 })
        .session(5_000, { grace: 2_000, merge: (a, b) => a + b })
        .finalResults(finals)
      app.agent(
        input,
        async function count(stream: Stream<string, string>) {
          for await (const user of stream) bySession.update(user, (n) => n + 1)
        },
        { onError: 'crash' },
      )
      const send = (user: string, at: number) => input.send({ key: user, value: user, timestamp: at })
      return { app, bySession, send }
    }
    const sessionsFinals = () => {
      const log = brokerOf(broker).log({ topic: 'finals', partition: 0 })
      return log.read(log.earliest, log.latest - log.earliest, null).map((r) => {
        const result = JSON.parse(r.value!.toString()) as FinalResult<number>
        return [JSON.parse(r.key!.toString()) as string, result.start, result.end, result.value] as const
      })
    }

    // The first worker's final results wait (a partition leader not answering), so no checkpoint completes.
    const held = brokerOf(broker).holdProduce('finals')
    const first = worker()
    apps.push(first.app)
    await first.app.start()
    await first.send('ann', 1_000)
    await first.send('ann', 3_000)
    await first.send('bob', 10_000) // stream time 10 000 closes ann's [1 000, 3 000] (3 000 + 5 000 + 2 000)
    await first.send('ann', 4_500) // within the gap of the closed session: a session of its own
    await first.send('ann', 6_000)
    const annAt = () => first.bySession.get('ann').map(([range, value]) => [range.start, range.end, value])
    await waitFor(() => JSON.stringify(annAt()) === '[[4500,6000,2]]' || undefined, 20_000, 'the clicks counted')
    const changelog = brokerOf(broker).log({ topic: 'sessions-replay-clicks-changelog', partition: 0 })
    await waitFor(
      () =>
        changelog
          .read(changelog.earliest, changelog.latest - changelog.earliest, null)
          .some((r) => r.key?.toString().includes('[4.5,6.0]')) || undefined,
      20_000,
      'the second session in the changelog',
    )
    // The crash: the held final result fails; nothing was committed.
    held.fail(new Error('leader gone'))
    await expect(first.app.done).rejects.toBeDefined()
    held.release() // the leader is back

    // The restarted worker recovers both sessions from the changelog (the first one's tombstone never went out),
    // closes the first again, and reads every click again from offset 0.
    const second = worker()
    apps.push(second.app)
    await second.app.start()
    await second.send('bob', 30_000) // closes ann's second session
    await waitFor(
      () => sessionsFinals().some(([user, , end]) => user === 'ann' && end === 6_000) || undefined,
      20_000,
      "ann's second session closed",
    )
    // The faultless run's sessions of ann: [1 000, 3 000] (2 clicks) and [4 500, 6 000] (2 clicks). At-least-once
    // may send a final result again, and count replayed clicks again, but the sessions are the same.
    const ann = sessionsFinals().filter(([user]) => user === 'ann')
    expect(new Set(ann.map(([, start, end]) => `${start}-${end}`))).toEqual(new Set(['1000-3000', '4500-6000']))
    expect(ann.filter(([, start]) => start === 1_000).map(([, , , value]) => value)).toEqual([2])
  }, 60_000)

  it('with an LMDB store, a restart that replays no changelog still knows the closed sessions', async () => {
    const broker = `memory://sessions-lmdb-${randomUUID()}`
    const store = `lmdb://${lmdbDir()}`
    const worker = () => {
      const app = new App('sessions-lmdb', { broker, logLevel: 'silent', topicPartitions: 1, store })
      const input = app.topic('clicks', { keyType: 'json', valueType: 'json' })
      const bySession = app
        .table<string, number>('clicks', { default: () => 0 })
        .session(5_000, { grace: 1_000, merge: (a, b) => a + b })
      app.agent(input, async function count(stream: Stream<string, string>) {
        for await (const user of stream) bySession.update(user, (n) => n + 1)
      })
      const send = (driver: TestDriver, user: string, at: number) =>
        driver.send(input, { key: user, value: user, timestamp: at })
      return { app, bySession, send }
    }
    const first = worker()
    const driver = await started(first.app)
    await first.send(driver, 'ann', 1_000)
    await first.send(driver, 'ann', 3_000)
    await first.send(driver, 'bob', 9_000) // closes ann's [1 000, 3 000]
    await first.send(driver, 'ann', 4_000) // a session of its own
    await driver.idle()
    const next = worker()
    drivers.pop()
    const again = await driver.restart(next.app)
    drivers.push(again)
    expect(next.app.lastRecovery.records).toBe(0)
    await next.send(again, 'ann', 2_500) // within the closed session: late, not added to [4 000, 4 000]
    await again.idle()
    expect(next.bySession.lateDropped).toBe(1)
    expect(next.bySession.get('ann').map(([range, value]) => [range.start, range.end, value])).toEqual([
      [4_000, 4_000, 1],
    ])
  })
})
