import { afterEach, describe, expect, it } from 'vitest'
import { float, record, type Stream, str } from '../../src/index.ts'
import { HoppingWindow, SlidingWindow, TumblingWindow } from '../../src/tables/windows.ts'
import { waitFor } from '../helpers.ts'
import { lmdbDir, memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

const View = record('test.windows.View', { page: str(), at: float() })
type View = InstanceType<typeof View>

describe('window ranges (as faust/windows.py)', () => {
  it('tumbling: one window, keys in seconds with end = start + size - 0.1', () => {
    const w = new TumblingWindow(60_000)
    expect(w.ranges(125_000).map((r) => r.key)).toEqual([[120, 179.9]])
    expect(w.current(125_000).start).toBe(120_000)
    expect(w.delta(125_000, 60_000).key).toEqual([60, 119.9])
  })

  it('hopping: every window holding the time, earliest first', () => {
    const w = new HoppingWindow(10_000, 5_000)
    expect(w.ranges(12_000).map((r) => r.key)).toEqual([
      [5, 14.9],
      [10, 19.9],
    ])
    expect(w.current(12_000).start).toBe(10_000)
    expect(w.earliest(12_000).start).toBe(5_000)
  })

  it('sliding: one window per event, [ts - before, ts + after]', () => {
    const w = new SlidingWindow(2_000, 1_000, 10_000)
    expect(w.ranges(5_000).map((r) => r.key)).toEqual([[3, 6]])
    expect(w.stale(6_000, 16_000)).toBe(true)
    expect(w.stale(6_001, 16_000)).toBe(false)
  })
})

/** Page views per 10 s window, keyed by page. */
function pageViews(
  broker: string,
  kind: 'tumbling' | 'hopping' | 'sliding',
  options: Parameters<typeof worker>[2] = {},
) {
  const app = worker('win', broker, { topicPartitions: 2, ...options })
  const views = app.topic('views', { valueType: View })
  const table = app.table<string, number>('views', { default: () => 0 })
  const windowed =
    kind === 'tumbling'
      ? table.tumbling(10_000, { expires: 20_000 })
      : kind === 'hopping'
        ? table.hopping(10_000, 5_000, { expires: 20_000 })
        : table.sliding(2_000, 1_000, { expires: 20_000 })
  const seen: { current: number | undefined; delta: number | undefined; value: number | undefined }[] = []
  const closed: [unknown, unknown][] = []
  windowed.onWindowClose((key, value) => void closed.push([key, value]))
  app.agent(views, async function count(stream: Stream<View>) {
    for await (const view of stream) {
      windowed.update(view.page, (n) => n + 1)
      const set = windowed.get(view.page)
      seen.push({ current: set.current(), delta: set.delta(10_000), value: set.value() })
    }
  })
  const send = (page: string, at: number) => views.send({ key: page, value: new View({ page, at }), timestamp: at })
  return { app, windowed, seen, closed, send }
}

describe('windowed tables', () => {
  it('tumbling: counts per window, current/delta, Faust window keys in the changelog', async () => {
    const t = pageViews(memoryBroker(), 'tumbling')
    await t.app.start()
    await t.send('home', 1_000)
    await t.send('home', 5_000)
    await t.send('home', 12_000)
    await waitFor(() => t.seen.length === 3)
    expect(t.seen.map((s) => s.current)).toEqual([1, 2, 1])
    expect(t.seen[2].delta).toBe(2)
    expect(t.seen[2].value).toBe(1)
    const changelog = await readTopic(t.app, 'win-views-changelog', 2)
    expect(changelog.map((r) => r.key)).toEqual(['["home",[0.0,9.9]]', '["home",[0.0,9.9]]', '["home",[10.0,19.9]]'])
    expect(t.app.topics.get('win-views-changelog')!.specs()[0].config).toEqual({
      'cleanup.policy': 'compact,delete',
      'retention.ms': '20000',
    })
  })

  it('hopping: an event counts in every window holding it', async () => {
    const t = pageViews(memoryBroker(), 'hopping')
    await t.app.start()
    await t.send('p', 12_000)
    await t.send('p', 13_000)
    await waitFor(() => t.seen.length === 2)
    const windows = [...t.windowed.windows()].map(([key, range, value]) => [key, range.key, value])
    expect(windows.sort()).toEqual([
      ['p', [10, 19.9], 2],
      ['p', [5, 14.9], 2],
    ])
  })

  it('sliding: a window around each event', async () => {
    const t = pageViews(memoryBroker(), 'sliding')
    await t.app.start()
    await t.send('p', 5_000)
    await t.send('p', 5_000)
    await t.send('p', 9_000)
    await waitFor(() => t.seen.length === 3)
    expect(t.seen.map((s) => s.current)).toEqual([1, 2, 1])
    expect([...t.windowed.windows()].map(([, range]) => range.key).sort()).toEqual([
      [3, 6],
      [7, 10],
    ])
  })

  it('relativeToField and relativeToNow pick windows by a value field and by the wall clock', async () => {
    const app = worker('rel', memoryBroker(), { topicPartitions: 1 })
    const views = app.topic('views', { valueType: View })
    const table = app.table<string, number>('byfield', { default: () => 0 }).tumbling(10_000)
    const byField = table.relativeToField(View.fields.at)
    const now = table.relativeToNow()
    const values: (number | undefined)[] = []
    app.agent(views, async function count(stream: Stream<View>) {
      for await (const view of stream) {
        byField.update(view.page, (n) => n + 1)
        now.update(view.page, (n) => n + 10)
        values.push(byField.get(view.page).value(), now.get(view.page).value(), now.get(view.page).now())
      }
    })
    await app.start()
    // The message timestamp (1 s) differs from the field (25 s): the field decides.
    await views.send({ key: 'p', value: new View({ page: 'p', at: 25_000 }), timestamp: 1_000 })
    await waitFor(() => values.length === 3)
    expect(values).toEqual([1, 10, 10])
    const keys = [...table.windows()].map(([, range]) => range.start)
    expect(keys).toContain(20_000)
    expect(keys).toContain(Math.floor(Date.now() / 10_000) * 10_000)
  })

  it('expiry drops old windows and fires onWindowClose once per window, across a restart', async () => {
    const broker = memoryBroker()
    const dir = lmdbDir()
    const first = pageViews(broker, 'tumbling', { store: `lmdb://${dir}` })
    await first.app.start()
    await first.send('a', 1_000)
    await first.send('a', 2_000)
    await first.send('a', 15_000)
    await first.send('a', 35_000)
    await waitFor(() => first.seen.length === 4)
    await first.windowed.closesSettled()
    // Windows [0,10) and [10,20) are stale once windows reach 40 s with 20 s expiry.
    expect(first.closed).toEqual([
      ['a', 2],
      ['a', 1],
    ])
    expect([...first.windowed.windows()].map(([, range]) => range.start)).toEqual([30_000])
    await first.app.stop()

    const second = pageViews(broker, 'tumbling', { store: `lmdb://${dir}` })
    await second.app.start()
    await second.windowed.closesSettled()
    expect(second.closed).toEqual([])
    expect([...second.windowed.windows()].map(([, range]) => range.start)).toEqual([30_000])
    await second.send('a', 70_000)
    await waitFor(() => second.seen.length === 1)
    await second.windowed.closesSettled()
    expect(second.closed).toEqual([['a', 1]])
  })

  it('a memory store restart replays windows but not the ones closed before', async () => {
    const broker = memoryBroker()
    const first = pageViews(broker, 'tumbling')
    await first.app.start()
    await first.send('a', 1_000)
    await first.send('a', 35_000)
    await waitFor(() => first.seen.length === 2)
    await first.windowed.closesSettled()
    expect(first.closed).toEqual([['a', 1]])
    await first.app.stop()
    // Same app restarted in-process: memory stores (and their closed watermark) are kept.
    await first.app.start()
    await first.send('a', 36_000)
    await waitFor(() => first.seen.length === 3)
    await first.windowed.closesSettled()
    expect(first.closed).toEqual([['a', 1]])
  })
})
