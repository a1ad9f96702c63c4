import { expect, it } from 'vitest'
import { run } from '../../examples/concurrency.ts'

it('concurrency: ten actors fetch articles from a local HTTP server at the same time', async () => {
  const { urls, stored, maxInFlight, lines } = await run({ count: 20 })
  expect(stored.size).toBe(20)
  for (const url of urls) expect(stored.get(url)).toBe(`article at ${new URL(url).pathname}`)
  // Processed concurrently, never by more actors than the agent has.
  expect(maxInFlight).toBeGreaterThan(1)
  expect(maxInFlight).toBeLessThanOrEqual(10)
  expect([...lines].sort()).toEqual(
    urls
      .map((url, i) => {
        const published = new Date(Date.UTC(2024, 0, 1, 9, i)).toISOString()
        return `stored ${new URL(url).pathname} (published ${published})`
      })
      .sort(),
  )
})
