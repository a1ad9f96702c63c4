import { randomUUID } from 'node:crypto'
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type FinalResult, type LateEventMessage, type Stream, type WindowOptions } from '../../src/index.ts'
import { captureLogs, TestDriver } from '../../src/testing/index.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

interface Click {
  page: string
  at: number
}

/** Clicks counted per page in windows with a grace period, final results on `finals`. */
function clicks(
  broker: string,
  kind: 'tumbling' | 'hopping' | 'sliding',
  options: WindowOptions,
  logger = captureLogs('debug').logger,
) {
  const app = new App('grace', { broker, logger, topicPartitions: 1 })
  const input = app.topic('clicks', { keyType: 'json', valueType: 'json' })
  const finals = app.topic('finals', { keyType: 'json', valueType: 'json' })
  const table = app.table<string, number>('clicks', { default: () => 0 })
  const windowed =
    kind === 'tumbling'
      ? table.tumbling(10_000, options)
      : kind === 'hopping'
        ? table.hopping(10_000, 5_000, options)
        : table.sliding(2_000, 1_000, options)
  if (options.grace !== undefined) windowed.finalResults(finals)
  app.agent(input, async function count(stream: Stream<Click, string>) {
    for await (const click of stream) windowed.update(click.page, (n) => n + 1)
  })
  const send = (driver: TestDriver, at: number, page = 'home') =>
    driver.send(input, { key: page, value: { page, at }, timestamp: at })
  return { app, input, finals, windowed, send }
}

async function started(app: App): Promise<TestDriver> {
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

function finalValues(driver: TestDriver, _t: ReturnType<typeof clicks>) {
  return driver
    .records<FinalResult<number>, string>('finals')
    .map((r) => [r.key, r.value.start, r.value.end, r.value.value])
}

describe('grace periods and final results', () => {
  it('tumbling: late events within grace count, after end + grace are dropped; one final result per window', async () => {
    const { logger, entries } = captureLogs('debug')
    const t = clicks(`memory://grace-${randomUUID()}`, 'tumbling', { grace: 2_000 }, logger)
    const late: LateEventMessage[] = []
    const onLate = (message: unknown) => void late.push(message as LateEventMessage)
    subscribe('faustus:late', onLate)
    try {
      const driver = await started(t.app)
      for (const at of [1_000, 5_000, 11_000, 3_000]) await t.send(driver, at)
      await driver.idle()
      // Stream time 11 000 < end 10 000 + grace 2 000: window [0, 10 000) still open, the event at 3 000 counted.
      expect(finalValues(driver, t)).toEqual([])
      expect([...t.windowed.windows()].map(([, range, value]) => [range.start, value])).toEqual([
        [0, 3],
        [10_000, 1],
      ])
      await t.send(driver, 12_000)
      await driver.idle()
      expect(finalValues(driver, t)).toEqual([['home', 0, 10_000, 3]])
      // Closed: a later event for it is dropped, counted, logged at debug and published.
      await t.send(driver, 4_000)
      await driver.idle()
      expect(t.windowed.lateDropped).toBe(1)
      expect(late.map((m) => [m.table, m.window, m.timestamp, m.streamTime])).toEqual([
        ['clicks', [0, 10_000], 4_000, 12_000],
      ])
      expect(entries.some((e) => e.level === 'debug' && e.msg.includes('late event dropped'))).toBe(true)
      expect([...t.windowed.windows()].map(([key, range, value]) => [key, range.start, value])).toEqual([
        ['home', 10_000, 2],
      ])
      expect(finalValues(driver, t)).toEqual([['home', 0, 10_000, 3]])
    } finally {
      unsubscribe('faustus:late', onLate)
    }
  })

  it('hopping: each window closes at its own end + grace; a late event updates only the windows still open', async () => {
    const t = clicks(`memory://grace-${randomUUID()}`, 'hopping', { grace: 0 })
    const driver = await started(t.app)
    await t.send(driver, 12_000) // windows [5 000, 15 000) and [10 000, 20 000)
    await t.send(driver, 16_000) // stream time 16 000 closes [5 000, 15 000)
    await t.send(driver, 14_000) // [5 000, 15 000) is closed: dropped there, counted in [10 000, 20 000)
    await driver.idle()
    expect(finalValues(driver, t)).toEqual([['home', 5_000, 15_000, 1]])
    expect(t.windowed.lateDropped).toBe(1)
    const open = [...t.windowed.windows()].map(([, range, value]) => [range.start, value])
    expect(open.sort((a, b) => a[0] - b[0])).toEqual([
      [10_000, 3],
      [15_000, 1],
    ])
  })

  it('sliding: the window [ts - before, ts + after] closes at its end + grace', async () => {
    const t = clicks(`memory://grace-${randomUUID()}`, 'sliding', { grace: 500 })
    const driver = await started(t.app)
    await t.send(driver, 5_000) // [3 000, 6 000]
    await t.send(driver, 6_400) // [4 400, 7 400]; stream time 6 400 < 6 000 + 500: open
    await driver.idle()
    expect(finalValues(driver, t)).toEqual([])
    await t.send(driver, 6_500) // closes [3 000, 6 000]
    await t.send(driver, 4_000) // [2 000, 5 000]: closes at 5 500 <= 6 500, late
    await driver.idle()
    expect(finalValues(driver, t)).toEqual([['home', 3_000, 6_000, 1]])
    expect(t.windowed.lateDropped).toBe(1)
  })

  it('without grace, late events update their window as in Faust; finalResults is refused', async () => {
    const app = new App('nograce', { broker: `memory://nograce-${randomUUID()}`, logLevel: 'silent' })
    const windowed = app.table<string, number>('c', { default: () => 0 }).tumbling(10_000)
    const finals = app.topic('finals')
    expect(() => windowed.finalResults(finals)).toThrow(/needs a window grace period/)
    expect(() => app.table('d').tumbling(10_000, { grace: -1 })).toThrow(/grace must be a number of ms >= 0/)
  })

  it('final results survive restarts into empty stores: no final lost, none repeated, late events still dropped', async () => {
    const broker = `memory://grace-restart-${randomUUID()}`
    const first = clicks(broker, 'tumbling', { grace: 1_000 })
    let driver = await started(first.app)
    for (const at of [1_000, 2_000, 9_000]) await first.send(driver, at)
    await first.send(driver, 3_000, 'about')
    await driver.idle()

    // A fresh app (empty memory stores): the windows come back from the changelog.
    const second = clicks(broker, 'tumbling', { grace: 1_000 })
    drivers.pop()
    driver = await driver.restart(second.app)
    drivers.push(driver)
    await second.send(driver, 11_000) // closes [0, 10 000) for both keys
    await driver.idle()
    const expected = [
      ['about', 0, 10_000, 1],
      ['home', 0, 10_000, 3],
    ]
    expect(finalValues(driver, second).sort()).toEqual(expected)

    const third = clicks(broker, 'tumbling', { grace: 1_000 })
    drivers.pop()
    driver = await driver.restart(third.app)
    drivers.push(driver)
    // Stream time came back with the closed windows' tombstones: the window stays closed.
    await third.send(driver, 5_000)
    await third.send(driver, 30_000) // closes [10 000, 20 000)
    await driver.idle()
    expect(third.windowed.lateDropped).toBe(1)
    expect(finalValues(driver, third).sort()).toEqual([...expected, ['home', 10_000, 20_000, 1]].sort())
  })

  it('windowed keys(), size and items() for the current time and for a given time', async () => {
    const t = clicks(`memory://grace-${randomUUID()}`, 'tumbling', {})
    const driver = await started(t.app)
    const base = driver.clock.now() // 2026-01-01T00:00:00Z, a multiple of 10 s
    await t.send(driver, base + 1_000, 'a')
    await t.send(driver, base + 2_000, 'b')
    await t.send(driver, base + 12_000, 'a')
    await t.send(driver, base + 13_000, 'a')
    await driver.idle()
    // For a given time.
    expect([...t.windowed.keys(base + 5_000)].sort()).toEqual(['a', 'b'])
    expect(t.windowed.sizeAt(base + 5_000)).toBe(2)
    expect([...t.windowed.items(new Date(base + 15_000))]).toEqual([['a', 2]])
    expect([...t.windowed.values(base + 25_000)]).toEqual([])
    // For the current time: relative to now (the virtual clock), and outside an event stream time falls back to it.
    expect(t.windowed.relativeToNow().size).toBe(2)
    expect(t.windowed.size).toBe(2)
    await driver.advance(10_000)
    expect([...t.windowed.relativeToNow().items()]).toEqual([['a', 2]])
    expect(t.windowed.size).toBe(1)
  })
})
