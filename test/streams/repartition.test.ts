// groupBy and through forward each event with its own timestamp (as Kafka Streams repartitions): windows after a
// groupBy count by event time, not by the time of the forward.
import { describe, expect, it } from 'vitest'
import type { Event, Stream } from '../../src/index.ts'
import { stopAfterEach, testApp, waitFor } from '../helpers.ts'

const apps = stopAfterEach()
const T = Date.UTC(2024, 0, 1, 12, 0, 0)

describe('repartitioned events', () => {
  it('keep the timestamp of the event they come from (groupBy and through)', async () => {
    const app = testApp()
    apps.push(app)
    const views = app.topic('views', { valueType: 'json', partitions: 2 })
    const passed = app.topic('views-passed', { valueType: 'json', partitions: 2 })
    const relay = app.topic('views-relayed', { valueType: 'json', partitions: 2 })
    const grouped: Event[] = []
    const through: Event[] = []
    app.agent(views, async function byPage(stream: Stream<{ page: string }>) {
      for await (const event of stream.groupBy((v) => v.page, { name: 'page' }).events()) grouped.push(event)
    })
    app.agent(passed, async function relayed(stream: Stream<{ page: string }>) {
      for await (const event of stream.through(relay).events()) through.push(event)
    })
    await app.start()
    for (let i = 0; i < 4; i++) {
      await views.send({ value: { page: `p${i}` }, timestamp: T + i })
      await passed.send({ value: { page: `p${i}` }, timestamp: T + i })
    }
    await waitFor(() => grouped.length === 4 && through.length === 4, 5000, 'the forwarded events')
    const byPage = (events: Event[]) =>
      events
        .map((e) => [(e.value as { page: string }).page, e.timestamp])
        .sort(([a], [b]) => String(a).localeCompare(String(b)))
    const expected = [0, 1, 2, 3].map((i) => [`p${i}`, T + i])
    expect(byPage(grouped)).toEqual(expected)
    expect(byPage(through)).toEqual(expected)
  })
})
