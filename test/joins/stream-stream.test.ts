import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type AppOptions, type FaustusError, type Stream } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

function newApp(id: string, options: AppOptions = {}): App {
  return new App(id, { broker: `memory://${id}-${randomUUID()}`, logLevel: 'silent', topicPartitions: 1, ...options })
}

async function started(app: App): Promise<TestDriver> {
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

type Kind = 'inner' | 'left' | 'outer'

/** Left `L`, right `R` topics joined within ±10 ms (grace 5); results as `key:left+right@time`. */
function joinApp(
  kind: Kind,
  options: { grace?: number; before?: number; after?: number; id?: string; broker?: string } = {},
) {
  const app = newApp(options.id ?? `ss-${kind}`, options.broker === undefined ? {} : { broker: options.broker })
  const left = app.topic('L', { keyType: 'json', valueType: 'json' })
  const right = app.topic('R', { keyType: 'json', valueType: 'json' })
  const out = app.topic('joined', { keyType: 'json', valueType: 'json' })
  const window = {
    before: options.before ?? 10,
    after: options.after ?? 10,
    grace: options.grace ?? 5,
    joiner: (l: unknown, r: unknown) => `${l ?? '-'}+${r ?? '-'}`,
  }
  app.task(async function joining() {
    const a = left.stream() as Stream<string, string>
    const b = right.stream() as Stream<string, string>
    const joined =
      kind === 'inner' ? a.join(b, window) : kind === 'left' ? a.leftJoin(b, window) : a.outerJoin(b, window)
    for await (const event of joined.events()) {
      await out.send({ key: event.key, value: `${event.key}:${event.value}@${event.timestamp}` })
    }
  })
  return { app, left, right, out }
}

async function feed(
  driver: TestDriver,
  topics: { left: any; right: any },
  records: [side: 'L' | 'R', key: string, value: string, time: number][],
) {
  for (const [side, key, value, timestamp] of records) {
    await driver.send(side === 'L' ? topics.left : topics.right, { key, value, timestamp })
    await driver.idle()
  }
}

describe('windowed stream–stream join', () => {
  it('inner: pairs records of one key within the window, at the later time', async () => {
    const t = joinApp('inner')
    const driver = await started(t.app)
    await feed(driver, t, [
      ['L', 'k', 'a', 100],
      ['R', 'k', 'x', 105],
      ['R', 'k', 'y', 111], // 11 ms after a: outside
      ['R', 'j', 'z', 100], // other key
      ['L', 'k', 'b', 108], // joins x (105) and y (111)
    ])
    expect(driver.values(t.out)).toEqual(['k:a+x@105', 'k:b+x@108', 'k:b+y@111'])
  })

  it('before/after are asymmetric as in JoinWindows: a right record joins a left one at t from t-before to t+after', async () => {
    const t = joinApp('inner', { before: 0, after: 10 })
    const driver = await started(t.app)
    await feed(driver, t, [
      ['R', 'k', 'early', 95], // before the left record: outside (before = 0)
      ['L', 'k', 'a', 100],
      ['R', 'k', 'late', 110], // within after
    ])
    expect(driver.values(t.out)).toEqual(['k:a+late@110'])
  })

  it('left: an unmatched left record is emitted with null only once its window closed (after grace)', async () => {
    const t = joinApp('left')
    const driver = await started(t.app)
    await feed(driver, t, [
      ['L', 'k', 'a', 100],
      ['L', 'm', 'b', 100],
      ['R', 'k', 'x', 120], // a's window [90, 110] ended; with grace 5 it closes past 115: a gets no match
      ['R', 'q', 'z', 150],
    ])
    // Not the spurious "a+-" early: only once stream time passed 100 + 10 + 5 (at 120, on the record that moved it).
    expect(driver.values(t.out)).toEqual(['k:a+-@100', 'm:b+-@100'])
  })

  it('left: a match arriving within grace prevents the null result', async () => {
    const t = joinApp('left')
    const driver = await started(t.app)
    await feed(driver, t, [
      ['L', 'k', 'a', 100],
      ['R', 'j', 'other', 113], // moves stream time past a's window end, not past its grace
      ['R', 'k', 'x', 109], // out of order, within grace: joins
      ['R', 'j', 'other2', 200],
    ])
    expect(driver.values(t.out)).toEqual(['k:a+x@109'])
  })

  it('a record later than grace still joins what the other side keeps (its records within before + after + grace of its own latest time), as Kafka Streams', async () => {
    const t = joinApp('inner')
    const driver = await started(t.app)
    await feed(driver, t, [
      ['L', 'k', 'a', 100],
      ['R', 'j', 'x', 200], // stream time 200: a's window closed long ago, but the left side's latest time is 100
      ['R', 'k', 'late', 100], // joins a (Kafka Streams 4.4 does: checked by joins-streams-diff.test.ts)
      ['L', 'j', 'y', 300], // the left side moves on: a is older than 300 - 25, no longer kept
      ['R', 'k', 'later', 101],
    ])
    expect(driver.values(t.out)).toEqual(['k:a+late@100'])
  })

  it('left: a late left record without a match is emitted at once with null; its window is over', async () => {
    const t = joinApp('left')
    const driver = await started(t.app)
    await feed(driver, t, [
      ['R', 'j', 'x', 200],
      ['L', 'k', 'late', 100],
      ['R', 'k', 'too-late', 100], // the left side keeps `late` (its own latest time is 100): they join
    ])
    expect(driver.values(t.out)).toEqual(['k:late+-@100', 'k:late+too-late@100'])
  })

  it('left: closed windows are emitted when Kafka Streams scans for them, so a late match may still come first', async () => {
    // Kafka Streams scans the waiting records only once stream time passed the window of the record its last scan
    // stopped at (here c, 114): b's window closes at 126, but its null result waits, and the late z joins it.
    const t = joinApp('left')
    const driver = await started(t.app)
    await feed(driver, t, [
      ['L', 'a', 'va', 100],
      ['L', 'b', 'vb', 110],
      ['L', 'c', 'vc', 114],
      ['R', 'q', 'x', 116], // a's window closed (100 + 10 + 5 < 116): emitted; b and c still open
      ['R', 'q', 'y', 126], // b's window closed too, but not c's (114 + 15 >= 126): no scan
      ['R', 'b', 'z', 101], // late, joins b (still kept): b gets no null result
      ['R', 'q', 'w', 200],
    ])
    expect(driver.values(t.out)).toEqual(['a:va+-@100', 'b:vb+z@110', 'c:vc+-@114'])
  })

  it('outer: unmatched records of either side, once closed, in time order', async () => {
    const t = joinApp('outer')
    const driver = await started(t.app)
    await feed(driver, t, [
      ['R', 'r', 'x', 100],
      ['L', 'l', 'a', 101],
      ['L', 'k', 'b', 102],
      ['R', 'k', 'y', 103],
      ['L', 'z', 'end', 300],
    ])
    expect(driver.values(t.out)).toEqual(['k:b+y@103', 'r:-+x@100', 'l:a+-@101'])
  })

  it('recovers its state from the changelogs into a fresh app: records before and after the restart join', async () => {
    const broker = `memory://ss-restart-${randomUUID()}`
    const t = joinApp('left', { id: 'ss-restart', broker })
    let driver = await started(t.app)
    await feed(driver, t, [
      ['L', 'k', 'a', 100],
      ['L', 'm', 'b', 100],
    ])
    drivers.pop()
    const next = joinApp('left', { id: 'ss-restart', broker })
    driver = await driver.restart(next.app)
    drivers.push(driver)
    expect((next.app.tables.get('L-R-join-left') as unknown as { size: number }).size).toBe(2)
    await feed(driver, next, [
      ['R', 'k', 'x', 105],
      ['R', 'q', 'z', 500],
    ])
    expect(driver.values(next.out)).toEqual(['k:a+x@105', 'm:b+-@100'])
  })

  it('joins on a record field instead of the message key', async () => {
    const app = newApp('ss-field')
    const orders = app.topic('orders', { valueType: 'json' })
    const payments = app.topic('payments', { valueType: 'json' })
    const out = app.topic('paid', { valueType: 'json' })
    app.task(async function paid() {
      const joined = (orders.stream() as Stream<{ id: string; item: string }>).join(
        payments.stream() as Stream<{ order: string; amount: number }>,
        {
          within: 60_000,
          on: { left: (o) => o.id, right: (p) => p.order },
          joiner: (o, p) => `${o.item}:${p.amount}`,
        },
      )
      for await (const value of joined) await out.send({ value })
    })
    const driver = await started(app)
    await driver.send(orders, { value: { id: 'o1', item: 'book' } })
    await driver.send(payments, { value: { order: 'o2', amount: 5 } })
    await driver.send(payments, { value: { order: 'o1', amount: 12 } })
    await driver.idle()
    expect(driver.values(out)).toEqual(['book:12'])
  })

  it('refuses streams with different partition counts (FST_JOIN_COPARTITION) and a missing window', () => {
    const app = newApp('ss-bad')
    const a = app.topic('a', { partitions: 2 })
    const b = app.topic('b', { partitions: 3 })
    const c = app.topic('c', { partitions: 2 })
    const codeOf = (fn: () => unknown) => {
      try {
        fn()
      } catch (error) {
        return (error as FaustusError).code
      }
      return undefined
    }
    expect(codeOf(() => a.stream().join(b.stream(), { within: 10 }))).toBe('FST_JOIN_COPARTITION')
    expect(codeOf(() => a.stream().join(c.stream(), {}))).toBe('FST_JOIN_DEFINITION')
    expect(codeOf(() => a.stream().join(c.stream(), { within: -1 }))).toBe('FST_JOIN_DEFINITION')
  })
})
