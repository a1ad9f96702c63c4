import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { App, webServerOf } from '../../src/index.ts'
import { cli, fixture } from '../cli/run-cli.ts'
import { stopAfterEach, waitFor } from '../helpers.ts'
import { freePort } from './helpers.ts'

const apps = stopAfterEach()

describe('faustus status and the worker web flags', () => {
  it("prints a running worker's state from its web server, as text or JSON", async () => {
    const app = new App(`status-${randomUUID().slice(0, 8)}`, {
      broker: `memory://status-${randomUUID()}`,
      logLevel: 'silent',
      topicPartitions: 2,
      webEnabled: true,
      webPort: 0,
    })
    apps.push(app)
    const topic = app.topic('orders', { valueType: 'json' })
    let seen = 0
    app.agent(
      topic,
      async (stream) => {
        for await (const _ of stream) seen++
      },
      { name: 'audit' },
    )
    await app.start()
    for (let i = 0; i < 5; i++) await topic.send({ value: i })
    await waitFor(() => (seen === 5 ? true : undefined), 60_000, 'processing', { retryErrors: true, intervalMs: 50 })
    const url = webServerOf(app)!.url
    await waitFor(() => (webServerOf(app)!.state.ready ? true : undefined), 60_000, 'ready', {
      retryErrors: true,
      intervalMs: 50,
    })

    const text = await cli(['status', '--url', url])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`app ${app.id}: 1 worker(s) in the group`)
    expect(text.stdout).toContain(`worker ${url} (asked)`)
    expect(text.stdout).toContain('ready')
    expect(text.stdout).toMatch(/actives\s+.*orders\[0-1\]/)
    expect(text.stdout).toContain('agent audit (orders): in 5')

    const json = await cli(['status', '--url', url, '--json'])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).self).toMatchObject({ app: app.id, ready: true })
  })

  it('fails with FST_WEB_UNREACHABLE when nothing answers', async () => {
    const port = await freePort()
    const run = await cli(['status', '--url', `http://127.0.0.1:${port}`])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('FST_WEB_UNREACHABLE')
    expect(run.stderr).toContain(String(port))
  })

  it('`worker --web-port` serves the web surface on that port until the worker stops', async () => {
    const port = await freePort()
    const signals = new EventEmitter()
    const running = cli(['-A', fixture('worker-app.ts'), 'worker', '--web-port', String(port)], signals)
    const health = await waitFor(
      async () => {
        const response = await fetch(`http://127.0.0.1:${port}/health`)
        return response.ok ? ((await response.json()) as { status: string }) : undefined
      },
      60_000,
      'the worker web server',
      { retryErrors: true, intervalMs: 50 },
    )
    expect(health.status).toBe('ok')
    signals.emit('SIGTERM', 'SIGTERM')
    expect((await running).code).toBe(0)
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow()
  })
})
