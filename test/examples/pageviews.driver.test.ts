import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { PageView, pageViewsApp, START, VIEWS } from '../../examples/pageviews.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('pageviews under the test driver: minutes close once views two hours later arrive', async () => {
  const { app, perMinute, closed } = pageViewsApp({ broker: `memory://pageviews-${randomUUID()}`, logLevel: 'silent' })
  const driver = await new TestDriver(app, { startTime: START }).start()
  try {
    const views = app.topics.get('page_views')!
    const view = (page: string, user: string) =>
      driver.send(views, { key: page, value: new PageView({ id: page, user }) })
    for (const [page, at] of VIEWS) {
      // The virtual clock stamps each view: move it to the view's time.
      await driver.advance(at - driver.clock.now())
      await view(page, 'u1')
    }
    await driver.idle()
    expect(closed).toEqual([])
    await driver.advance(START + 2 * 3_600_000 - driver.clock.now())
    await view('/home', 'u2')
    await view('/about', 'u2')
    await driver.idle()
    await perMinute.closesSettled()
    expect([...closed].sort((a, b) => (a.page + a.minute < b.page + b.minute ? -1 : 1))).toEqual([
      { page: '/about', minute: '12:00', views: 1 },
      { page: '/about', minute: '12:02', views: 2 },
      { page: '/home', minute: '12:00', views: 2 },
      { page: '/home', minute: '12:01', views: 1 },
    ])
  } finally {
    await driver.stop()
  }
})
