// Page views per minute: a tumbling window of 60 s over a table, closed windows reported by `onWindowClose`.
// Views are keyed by page, so each page's windows live on one partition. Windows expire after an hour (the
// changelog is `compact,delete` with that retention); when one expires, its final count is printed.
// Run it: npx tsx examples/pageviews.ts
import { App, type AppOptions, record, type Stream, str } from '../src/index.ts'
import { isMain, Output, until } from './support.ts'

export const PageView = record('examples.pageviews.PageView', { id: str(), user: str() })
export type PageView = InstanceType<typeof PageView>

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** The page views app; options let tests run it under another id and topic, on another broker or store. */
export function pageViewsApp(options: AppOptions & { id?: string; topic?: string } = {}, out = new Output()) {
  const { id = 'pageviews', topic = 'page_views', ...settings } = options
  const app = new App(id, {
    broker: 'memory://examples-pageviews',
    logLevel: 'warn',
    topicPartitions: 4,
    ...settings,
  })
  const views = app.topic(topic, { valueType: PageView })
  const perMinute = app
    .table<string, number>('page_views', { default: () => 0, help: 'Views per page per minute' })
    .tumbling(MINUTE, { expires: HOUR })
    .relativeToStream()
  const closed: { page: string; minute: string; views: number }[] = []
  perMinute.onWindowClose((page, count, window) => {
    const minute = new Date(window.start).toISOString().slice(11, 16)
    closed.push({ page: page as string, minute, views: count as number })
    out.print(`${page} had ${count} views in the minute from ${minute}`)
  })
  let seen = 0
  app.agent(views, async function count(stream: Stream<PageView>) {
    for await (const view of stream) {
      perMinute.update(view.id, (n) => n + 1)
      seen++
    }
  })
  /** Sends a view of `page` at `at` (ms since the epoch), keyed by page. */
  const view = (page: string, user: string, at: number) =>
    views.send({ key: page, value: new PageView({ id: page, user }), timestamp: at })
  return { app, perMinute, closed, view, seen: () => seen }
}

/** The app `faustus -A examples/pageviews.ts worker` runs. */
export const { app } = pageViewsApp()

/** Views over three minutes of one day, then one much later that closes those windows. */
export const START = Date.UTC(2024, 0, 1, 12, 0, 0)
export const VIEWS: [string, number][] = [
  ['/home', START + 1_000],
  ['/home', START + 20_000],
  ['/about', START + 30_000],
  ['/home', START + MINUTE + 5_000],
  ['/about', START + 2 * MINUTE + 1_000],
  ['/about', START + 2 * MINUTE + 2_000],
]

export async function run(options: { echo?: boolean; app?: Parameters<typeof pageViewsApp>[0] } = {}) {
  const out = new Output()
  out.reset(options.echo)
  const { app, perMinute, closed, view, seen } = pageViewsApp(options.app, out)
  await app.start()
  try {
    for (const [page, at] of VIEWS) await view(page, 'u1', at)
    // Two hours later: every window above is past its expiry and closes (one view each page, to reach both).
    await view('/home', 'u2', START + 2 * HOUR)
    await view('/about', 'u2', START + 2 * HOUR)
    await until(() => seen() === VIEWS.length + 2, 10_000, 'every view')
    await until(() => closed.length === 4, 10_000, 'the old windows to close')
    await perMinute.closesSettled()
    return { closed: [...closed], lines: out.lines }
  } finally {
    await app.stop()
  }
}

if (isMain(import.meta.url)) await run({ echo: true })
