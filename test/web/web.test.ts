import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type AppOptions, isFaustusError, webServerOf } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { freePort, metricValue, parseMetrics } from './helpers.ts'

const apps: App[] = []

function makeApp(options: AppOptions = {}): App {
  const app = new App(`web-${randomUUID().slice(0, 8)}`, {
    broker: `memory://web-${randomUUID()}`,
    logLevel: 'silent',
    topicPartitions: 4,
    webEnabled: true,
    webPort: 0,
    ...options,
  })
  apps.push(app)
  return app
}

afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop()
})

const get = async (url: string) => {
  const response = await fetch(url)
  return { status: response.status, body: await response.text(), type: response.headers.get('content-type') }
}

describe('web server on the memory transport', () => {
  it('serves health, readiness, metrics with real figures, table values and pages', async () => {
    const app = makeApp()
    const words = app.topic('words', { keyType: 'json', valueType: 'json' })
    const counts = app.table<string, number>('counts', { default: () => 0 })
    app.table<string, number>('plain')
    let processed = 0
    app.agent(
      words,
      async function* count(stream) {
        for await (const event of stream.events()) {
          counts.set(event.key as string, counts.get(event.key as string)! + 1)
          processed++
          yield event.value
        }
      },
      { name: 'count' },
    )
    app.page('/hello/{name}', (request) => ({ hello: request.params.name }))
    app.page('/echo', { post: (request) => ({ got: request.body }) })
    await app.start()
    const url = webServerOf(app)!.url
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(app.webUrl).toBe(url)

    expect(JSON.parse((await get(`${url}/health`)).body)).toMatchObject({ status: 'ok', app: app.id })
    const ready = await waitFor(
      async () => {
        const r = await get(`${url}/ready`)
        return r.status === 200 ? r : undefined
      },
      60_000,
      '/ready',
      { retryErrors: true, intervalMs: 50 },
    )
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, joined: true, rebalancing: false, recovering: false })

    for (let i = 0; i < 30; i++) await words.send({ key: i % 3 === 0 ? 'a' : 'b', value: i })
    await waitFor(() => (processed === 30 ? true : undefined), 60_000, 'processing', {
      retryErrors: true,
      intervalMs: 50,
    })
    await app.commit()
    await webServerOf(app)!.state.sample()

    const metrics = await get(`${url}/metrics`)
    expect(metrics.type).toContain('text/plain')
    const samples = parseMetrics(metrics.body)
    expect(metricValue(samples, 'faustus_events_received_total', { topic: 'words' })).toBe(30)
    expect(metricValue(samples, 'faustus_agent_events_in_total', { agent: 'count', topic: 'words' })).toBe(30)
    expect(metricValue(samples, 'faustus_agent_events_out_total', { agent: 'count' })).toBe(30)
    expect(metricValue(samples, 'faustus_agent_processing_seconds_count', { agent: 'count' })).toBeGreaterThan(0)
    expect(metricValue(samples, 'faustus_consumer_lag', { topic: 'words' })).toBe(0)
    expect(metricValue(samples, 'faustus_consumer_committed_offset', { topic: 'words' })).toBe(30)
    expect(metricValue(samples, 'faustus_commits_total')).toBeGreaterThan(0)
    expect(metricValue(samples, 'faustus_rebalances_total')).toBe(1)
    expect(metricValue(samples, 'faustus_table_keys', { table: 'counts' })).toBe(2)
    expect(metricValue(samples, 'faustus_ready')).toBe(1)
    expect(metricValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true)

    expect(JSON.parse((await get(`${url}/table/counts/a`)).body)).toBe(10)
    expect(JSON.parse((await get(`${url}/table/counts/b/`)).body)).toBe(20)
    // As Faust's view: the table's default for an absent key; 404 for a table without one.
    expect(await get(`${url}/table/counts/zzz`)).toMatchObject({ status: 200, body: '0' })
    expect((await get(`${url}/table/plain/zzz`)).status).toBe(404)
    expect((await get(`${url}/table/nope/a`)).status).toBe(404)
    expect(JSON.parse((await get(`${url}/table`)).body)).toEqual([
      expect.objectContaining({ name: 'counts', partitions: 4 }),
      expect.objectContaining({ name: 'plain', partitions: 4 }),
    ])
    expect(JSON.parse((await get(`${url}/hello/world`)).body)).toEqual({ hello: 'world' })
    const echo = await fetch(`${url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ x: 1 }),
    })
    expect(await echo.json()).toEqual({ got: { x: 1 } })

    const dashboard = await get(`${url}/`)
    expect(dashboard.type).toContain('text/html')
    expect(dashboard.body).not.toMatch(/https?:\/\/(?!localhost)/)
    const state = JSON.parse((await get(`${url}/api/state`)).body)
    expect(state.agents).toEqual([expect.objectContaining({ name: 'count', eventsIn: 30, eventsOut: 30 })])
    expect(state.actives.length).toBeGreaterThan(0)

    await app.stop()
    await expect(fetch(`${url}/health`)).rejects.toThrow()
  })

  it('counts agent errors and dead-lettered records by code', async () => {
    const app = makeApp()
    const topic = app.topic('in', { valueType: 'json' })
    app.agent(
      topic,
      async (stream) => {
        for await (const value of stream) if ((value as number) % 2 === 1) throw new TypeError(`odd ${value}`)
      },
      { name: 'picky', onError: { deadLetter: 'in-dlq' } },
    )
    await app.start()
    for (let i = 0; i < 6; i++) await topic.send({ value: i })
    const url = webServerOf(app)!.url
    const samples = await waitFor(
      async () => {
        const s = parseMetrics((await get(`${url}/metrics`)).body)
        return metricValue(s, 'faustus_dead_lettered_total') === 3 ? s : undefined
      },
      60_000,
      'three dead-lettered records',
      { retryErrors: true, intervalMs: 50 },
    )
    expect(metricValue(samples, 'faustus_errors_total', { code: 'TypeError', agent: 'picky' })).toBe(3)
    expect(metricValue(samples, 'faustus_dead_lettered_total', { code: 'TypeError', topic: 'in-dlq' })).toBe(3)
    const state = JSON.parse((await get(`${url}/api/state`)).body)
    expect(state.errors[0]).toMatchObject({ code: 'TypeError', agent: 'picky', deadLetter: 'in-dlq' })
  })

  it('refuses a port already taken with FST_WEB_PORT_IN_USE naming it, and leaves nothing running', async () => {
    const port = await freePort()
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve))
    try {
      const app = makeApp({ webPort: port })
      const error = await app.start().then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(isFaustusError(error, 'FST_WEB_PORT_IN_USE')).toBe(true)
      expect((error as Error).message).toContain(String(port))
      expect(app.running).toBe(false)
    } finally {
      await new Promise<void>((resolve, reject) => blocker.close((e) => (e ? reject(e) : resolve())))
    }
  })

  it('serves nothing when webEnabled is off (the default outside `faustus worker`)', async () => {
    const app = makeApp({ webEnabled: undefined })
    await app.start()
    expect(webServerOf(app)).toBeUndefined()
    expect(app.webUrl).toBe('')
  })
})
