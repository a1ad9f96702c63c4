/**
 * The worker's web server (fastify): health and readiness probes, Prometheus metrics, table lookups routed to the
 * owning worker, user pages and Kaspr web views, and the live dashboard. Started before the consumer joins (its url
 * goes into the group metadata) and stopped with the app.
 */
import { hostname } from 'node:os'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import type { App } from '../app/app.ts'
import { appServices } from '../app/app.ts'
import type { AppExtension } from '../app/extensions.ts'
import { FaustusError } from '../errors.ts'
import { errorFields } from '../logging.ts'
import { DASHBOARD_HTML } from './dashboard-page.ts'
import { GroupView } from './group.ts'
import { WorkerMetrics } from './metrics.ts'
import { mountPages } from './pages.ts'
import { WorkerState } from './state.ts'
import { mountTables } from './tables.ts'

export interface WebServerOptions {
  /** Lag and rate sampling interval (ms). Default 1000. */
  sampleIntervalMs?: number
}

export class WebServer implements AppExtension {
  readonly app: App
  readonly state: WorkerState
  readonly metrics: WorkerMetrics
  readonly group: GroupView
  #server: FastifyInstance | undefined
  readonly #streams = new Set<FastifyReply>()
  #url = ''

  constructor(app: App, options: WebServerOptions = {}) {
    this.app = app
    this.state = new WorkerState(app, options.sampleIntervalMs)
    this.metrics = new WorkerMetrics(this.state)
    this.group = new GroupView(this.state)
  }

  /** `http://host:port` as announced to the group (the bound port when `webPort` is 0). */
  get url(): string {
    return this.#url
  }

  async start(): Promise<void> {
    const { webHost: host, webPort: port } = this.app.settings
    const server = Fastify({
      logger: false,
      forceCloseConnections: true,
      routerOptions: { ignoreTrailingSlash: true },
    })
    this.#routes(server)
    try {
      await server.listen({ host, port })
    } catch (error) {
      await server.close().catch(() => {})
      this.close()
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new FaustusError(
          'FST_WEB_PORT_IN_USE',
          `web server: port ${port} on ${host} is already in use (set webPort / --web-port, or webEnabled: false)`,
          { cause: error, details: { host, port } },
        )
      }
      throw error
    }
    this.#server = server
    const address = server.server.address()
    const bound = typeof address === 'object' && address !== null ? address.port : port
    this.#url = `http://${announcedHost(host)}:${bound}`
    appServices(this.app).webUrl = this.#url
    this.state.start()
    this.app.log.info({ url: this.#url }, 'web server listening')
  }

  async stop(): Promise<void> {
    const server = this.#server
    this.#server = undefined
    for (const reply of this.#streams) reply.raw.end()
    this.#streams.clear()
    this.close()
    if (server !== undefined) await server.close()
  }

  close(): void {
    this.state.close()
    this.metrics.close()
  }

  #routes(server: FastifyInstance): void {
    server.setErrorHandler((error, request, reply) => {
      const status = statusOf(error)
      if (status >= 500) this.app.log.warn({ ...errorFields(error), url: request.url }, 'web: request failed')
      reply.code(status).send({ error: (error as Error).message, code: (error as FaustusError).code })
    })
    server.get('/health', async () => ({ status: 'ok', app: this.app.id, pid: process.pid, uptime: process.uptime() }))
    server.get('/ready', async (_request, reply) => {
      const s = this.state
      const body = {
        ready: s.ready,
        state: this.app.state,
        joined: s.joined,
        rebalancing: s.rebalancing,
        recovering: s.recovering,
      }
      return reply.code(body.ready ? 200 : 503).send(body)
    })
    server.get('/metrics', async (_request, reply) => {
      reply.header('content-type', this.metrics.contentType)
      return this.metrics.text()
    })
    server.get('/api/state', async () => this.state.snapshot())
    server.get('/api/group', async () => this.group.view())
    server.get('/api/events', (request, reply) => this.#events(request, reply))
    server.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML))
    mountTables(server, this.app)
    mountPages(server, this.app)
  }

  /** Server-sent events: the group view after every state change, at most once per sampling interval. */
  #events(request: FastifyRequest, reply: FastifyReply): void {
    reply.hijack()
    const raw = reply.raw
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' })
    this.#streams.add(reply)
    let pending = false
    const send = async () => {
      if (pending) return
      pending = true
      try {
        const view = await this.group.view()
        raw.write(`data: ${JSON.stringify(view)}\n\n`)
      } catch (error) {
        this.app.log.debug({ ...errorFields(error) }, 'web: event stream update failed')
      } finally {
        pending = false
      }
    }
    const unsubscribe = this.state.onChange(() => void send())
    void send()
    request.raw.on('close', () => {
      unsubscribe()
      this.#streams.delete(reply)
    })
  }
}

/** The host others reach this worker at: a wildcard bind announces the machine's name (as Faust's `web_host`). */
function announcedHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return hostname()
  return host.includes(':') ? `[${host}]` : host
}

function statusOf(error: unknown): number {
  const code = (error as FaustusError).code
  if (code === 'FST_WEB_ROUTE') return 502
  const status = (error as { statusCode?: number }).statusCode
  return typeof status === 'number' && status >= 400 ? status : 500
}
