import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect, it } from 'vitest'
import { Article, app, articles, newsTopic } from '../../examples/concurrency.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('concurrency under the test driver: idle waits for every concurrent fetch to be stored', async () => {
  const server = createServer((request, response) => response.end(`article at ${request.url}`))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const driver = await new TestDriver(app).start()
  try {
    const urls = Array.from({ length: 12 }, (_, i) => `http://127.0.0.1:${port}/articles/${i + 1}`)
    for (const url of urls) {
      await driver.send(newsTopic, { value: new Article({ url, date_published: new Date(driver.clock.now()) }) })
    }
    await driver.idle()
    expect(new Set(articles.keys())).toEqual(new Set(urls))
    expect(articles.get(urls[0])).toBe('article at /articles/1')
  } finally {
    await driver.stop()
    server.closeAllConnections()
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  }
})
