import { expect, it } from 'vitest'
import { run } from '../../examples/pageviews.ts'

it('pageviews: counts per page per minute, each closed window reported once', async () => {
  const { closed, lines } = await run()
  expect(closed.sort((a, b) => (a.minute + a.page < b.minute + b.page ? -1 : 1))).toEqual([
    { page: '/about', minute: '12:00', views: 1 },
    { page: '/home', minute: '12:00', views: 2 },
    { page: '/home', minute: '12:01', views: 1 },
    { page: '/about', minute: '12:02', views: 2 },
  ])
  expect(lines).toContain('/home had 2 views in the minute from 12:00')
})
