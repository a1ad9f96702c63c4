// Faust's agents guide, "Concurrency": an agent with concurrency 10 fetches each published article over HTTP and
// stores it. Ten actors share the stream, so ten fetches are in flight at once and finish in no particular order.
// The "news site" is a local HTTP server on 127.0.0.1 that this example starts (nothing goes to the internet).
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { App, date, record, type Stream, str } from '../src/index.ts'
import { isMain, Output, until } from './support.ts'

// Faust: `class Article(faust.Record, isodates=True)`: date() fields travel as ISO 8601 text and decode to Dates.
export const Article = record('examples.concurrency.Article', { url: str(), date_published: date() })
export type Article = InstanceType<typeof Article>

export const app = new App('concurrency', { broker: 'memory://examples-concurrency', logLevel: 'warn' })
export const newsTopic = app.topic('news', { valueType: Article })

const out = new Output()

/** The "database": url → the article's body. */
export const articles = new Map<string, string>()
const stats = { inFlight: 0, maxInFlight: 0 }

async function storeArticleInDb(url: string, response: Response): Promise<void> {
  articles.set(url, await response.text())
}

export const importsNews = app.agent(
  newsTopic,
  async function imports_news(stream: Stream<Article>) {
    for await (const article of stream) {
      stats.inFlight++
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight)
      try {
        const response = await fetch(article.url)
        await storeArticleInDb(article.url, response)
        out.print(`stored ${new URL(article.url).pathname} (published ${article.date_published.toISOString()})`)
      } finally {
        stats.inFlight--
      }
    }
  },
  // Actors process the stream out of order: such an agent may read tables, never write them.
  { concurrency: 10 },
)

/** A slow news site: each article takes `delayMs` to serve, so fetches overlap. */
function startNewsSite(delayMs: number): Promise<Server> {
  const server = createServer((request, response) => {
    setTimeout(() => {
      response.setHeader('content-type', 'text/plain')
      response.end(`article at ${request.url}`)
    }, delayMs)
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(server))
  })
}

export interface ConcurrencyRun {
  /** Articles published, in the order they were sent. */
  urls: string[]
  /** What was stored, by url. */
  stored: Map<string, string>
  /** The most fetches running at the same time. */
  maxInFlight: number
  lines: string[]
}

export async function run(options: { echo?: boolean; count?: number } = {}): Promise<ConcurrencyRun> {
  out.reset(options.echo)
  articles.clear()
  stats.maxInFlight = 0
  const count = options.count ?? 20
  const server = await startNewsSite(50)
  const { port } = server.address() as AddressInfo
  const urls = Array.from({ length: count }, (_, i) => `http://127.0.0.1:${port}/articles/${i + 1}`)
  try {
    await app.start()
    try {
      for (const [i, url] of urls.entries()) {
        const published = new Date(Date.UTC(2024, 0, 1, 9, i))
        await newsTopic.send({ value: new Article({ url, date_published: published }) })
      }
      await until(() => articles.size === count, 10_000, 'every article to be stored')
    } finally {
      await app.stop()
    }
  } finally {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return { urls, stored: new Map(articles), maxInFlight: stats.maxInFlight, lines: out.lines }
}

if (isMain(import.meta.url)) {
  const { maxInFlight } = await run({ echo: true })
  console.log(`fetched with up to ${maxInFlight} requests in flight`)
}
