import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type FinalResult, type SessionOptions, type Stream } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

/** Clicks per user session (5 s inactivity gap), final results on `finals`. */
function sessions(broker: string, options: Partial<SessionOptions<number>> = {}, topicPartitions = 2) {
  const app = new App('sessions', { broker, logLevel: 'silent', topicPartitions })
  const input = app.topic('clicks', { keyType: 'json', valueType: 'json' })
  const finals = app.topic('finals', { keyType: 'json', valueType: 'json' })
  const table = app.table<string, number>('clicks', { default: () => 0 })
  const bySession = table.session(5_000, { merge: (a, b) => a + b, ...options })
  if (options.grace !== undefined) bySession.finalResults(finals)
  app.agent(input, async function count(stream: Stream<string, string>) {
    for await (const user of stream) bySession.update(user, (n) => n + 1)
  })
  const send = (driver: TestDriver, at: number, user = 'ann') =>
    driver.send(input, { key: user, value: user, timestamp: at })
  return { app, input, finals, bySession, send }
}

async function started(app: App): Promise<TestDriver> {
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

const sessionsOf = (t: ReturnType<typeof sessions>, user: string) =>
  t.bySession.get(user).map(([range, value]) => [range.start, range.end, value])

describe('session windows', () => {
  it('groups events closer than the gap, keeps sessions apart, merges two sessions an event bridges', async () => {
    const t = sessions(`memory://sessions-${randomUUID()}`)
    const driver = await started(t.app)
    for (const at of [1_000, 3_000, 20_000, 12_000]) await t.send(driver, at)
    await t.send(driver, 2_000, 'bob')
    await driver.idle()
    // 1 000 and 3 000: one session; 12 000 is 9 s from 3 000 and 8 s from 20 000: a session of its own.
    expect(sessionsOf(t, 'ann')).toEqual([
      [1_000, 3_000, 2],
      [12_000, 12_000, 1],
      [20_000, 20_000, 1],
    ])
    // 16 000 is within 5 s of 12 000 and of 20 000: the two sessions become one, values merged.
    await t.send(driver, 16_000)
    await driver.idle()
    expect(sessionsOf(t, 'ann')).toEqual([
      [1_000, 3_000, 2],
      [12_000, 20_000, 3],
    ])
    expect(sessionsOf(t, 'bob')).toEqual([[2_000, 2_000, 1]])
    // The merged sessions left the changelog too (tombstones): a fresh app recovers the same sessions.
    const next = sessions(t.app.settings.broker)
    drivers.pop()
    const again = await driver.restart(next.app)
    drivers.push(again)
    expect(sessionsOf(next, 'ann')).toEqual([
      [1_000, 3_000, 2],
      [12_000, 20_000, 3],
    ])
    // Sessions open at a time: started by then, not past their inactivity gap.
    expect([...next.bySession.keys(2_500)].sort()).toEqual(['ann', 'bob'])
    expect([...next.bySession.items(7_999)]).toEqual([['ann', 2]])
    expect(next.bySession.sizeAt(8_000)).toBe(0)
    expect(next.bySession.sizeAt(24_999)).toBe(1)
  })

  it('with grace: a session closes at end + gap + grace with one final result; later events for it are dropped', async () => {
    // One partition: ann and bob share its stream time.
    const t = sessions(`memory://sessions-${randomUUID()}`, { grace: 1_000 }, 1)
    const driver = await started(t.app)
    await t.send(driver, 1_000)
    await t.send(driver, 4_000)
    await t.send(driver, 9_999, 'bob')
    await driver.idle()
    expect(driver.records<FinalResult<number>, string>('finals')).toEqual([])
    // ann's session [1 000, 4 000] closes once stream time reaches 4 000 + gap 5 000 + grace 1 000 = 10 000.
    await t.send(driver, 10_000, 'bob')
    await driver.idle()
    const finals = () =>
      driver
        .records<FinalResult<number>, string>('finals')
        .map((r) => [r.key, r.value.start, r.value.end, r.value.value])
    expect(finals()).toEqual([['ann', 1_000, 4_000, 2]])
    // 3 000 belongs to the closed session: dropped. 8 000 is a session of its own, still open.
    await t.send(driver, 3_000)
    await t.send(driver, 8_000)
    await driver.idle()
    expect(t.bySession.lateDropped).toBe(1)
    expect(sessionsOf(t, 'ann')).toEqual([[8_000, 8_000, 1]])
    await t.send(driver, 20_000, 'bob')
    await driver.idle()
    expect(finals()).toEqual([
      ['ann', 1_000, 4_000, 2],
      ['ann', 8_000, 8_000, 1],
      ['bob', 9_999, 10_000, 2],
    ])
  })

  it('an event bridging a closed session is late: dropped, no second final result', async () => {
    const t = sessions(`memory://sessions-${randomUUID()}`, { grace: 0 })
    const driver = await started(t.app)
    await t.send(driver, 1_000)
    await t.send(driver, 20_000) // closes [1 000, 1 000] (1 000 + 5 000 <= 20 000)
    await t.send(driver, 5_000) // its merged session [1 000, 5 000] would close at 10 000 <= 20 000
    await driver.idle()
    expect(
      driver.records<FinalResult<number>, string>('finals').map((r) => [r.value.start, r.value.end, r.value.value]),
    ).toEqual([[1_000, 1_000, 1]])
    expect(t.bySession.lateDropped).toBe(1)
    expect(sessionsOf(t, 'ann')).toEqual([[20_000, 20_000, 1]])
  })

  it('an event within a closed session is late even when a later session is within the gap; also after recovery', async () => {
    const t = sessions(`memory://sessions-${randomUUID()}`, { grace: 1_000 }, 1)
    const driver = await started(t.app)
    await t.send(driver, 1_000)
    await t.send(driver, 3_000)
    await t.send(driver, 9_000, 'bob') // closes ann's [1 000, 3 000] (3 000 + 5 000 + 1 000)
    await t.send(driver, 4_000) // within the gap of the closed session: a session of its own, [4 000, 4 000]
    // Within the closed session, and within the gap of [4 000, 4 000]: it belongs to the closed session, late.
    await t.send(driver, 2_500)
    await driver.idle()
    expect(t.bySession.lateDropped).toBe(1)
    expect(sessionsOf(t, 'ann')).toEqual([[4_000, 4_000, 1]])
    // A fresh worker recovers from the changelog, the closed session's tombstone included: the same rule holds.
    const next = sessions(t.app.settings.broker, { grace: 1_000 }, 1)
    drivers.pop()
    const again = await driver.restart(next.app)
    drivers.push(again)
    await next.send(again, 2_000)
    await again.idle()
    expect(next.bySession.lateDropped).toBe(1)
    expect(sessionsOf(next, 'ann')).toEqual([[4_000, 4_000, 1]])
    await next.send(again, 20_000, 'bob')
    await again.idle()
    expect(
      again
        .records<FinalResult<number>, string>('finals')
        .map((r) => [r.key, r.value.start, r.value.end, r.value.value]),
    ).toEqual([
      ['ann', 1_000, 3_000, 2],
      ['ann', 4_000, 4_000, 1],
      ['bob', 9_000, 9_000, 1],
    ])
  })

  it('refuses a session table without merge, or a gap that is not positive', () => {
    const app = new App('s', { broker: `memory://s-${randomUUID()}`, logLevel: 'silent' })
    expect(() => app.table('a').session(1_000, {} as SessionOptions<unknown>)).toThrow(/needs merge/)
    expect(() => app.table('b').session(0, { merge: (a) => a })).toThrow(/gap must be a positive/)
  })
})
