/**
 * Table views, as Faust's `faust/web/apps/tables.py`: `GET /table/` lists the tables, `/table/{name}/` describes one,
 * and `/table/{name}/{key}/` answers the key's value (JSON) on the worker owning it: locally, or proxied to the
 * owner with the same path, so a Faust worker's lookup reaches a Faustus worker and back.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../app/app.ts'
import type { Collection } from '../tables/collection.ts'
import { keyOwner, proxy, routedUrl, tableByName } from './router.ts'

/** Set on a proxied request: the receiver answers it itself, so two workers that disagree cannot loop. */
export const ROUTED_HEADER = 'x-faustus-routed'
const ROUTE_TIMEOUT_MS = 10_000

export function mountTables(server: FastifyInstance, app: App): void {
  server.get('/table', async () => [...app.tables.values()].map(describe))
  server.get<{ Params: { name: string } }>('/table/:name', async (request, reply) => {
    const table = tableByName(app, request.params.name)
    if (table === undefined) return reply.code(404).send({ error: 'unknown table', name: request.params.name })
    return describe(table)
  })
  server.get<{ Params: { name: string; key: string } }>('/table/:name/:key', async (request, reply) => {
    const { name, key } = request.params
    const table = tableByName(app, name)
    if (table === undefined) return reply.code(404).send({ error: 'unknown table', name })
    // Proxied in Faust's canonical form (with the trailing slash its aiohttp routes need).
    const canonical = `/table/${encodeURIComponent(name)}/${encodeURIComponent(key)}/${queryOf(request.url)}`
    return routeOr(app, table, key, request, reply, canonical, () => {
      const value = lookupValue(table, key)
      if (value === undefined) return reply.code(404).send({ error: 'key not found', key, table: name })
      return reply.type('application/json').send(JSON.stringify(value))
    })
  })
}

/**
 * Answers with `local()` when this worker owns `key` of `table` (or the request was routed here already), proxies
 * to the owner otherwise, and answers 503 when no member owns the partition now (a rebalance).
 */
export async function routeOr(
  app: App,
  table: Collection,
  key: unknown,
  request: FastifyRequest,
  reply: FastifyReply,
  /** The path and query to ask the owner for (default: this request's). */
  path: string | undefined,
  local: () => unknown,
): Promise<unknown> {
  if (request.headers[ROUTED_HEADER] !== undefined) return local()
  const owner = keyOwner(app, table, key)
  if (owner.local) return local()
  if (owner.url === undefined) {
    return reply
      .code(503)
      .send({ error: 'no worker owns this key now (rebalancing)', table: table.name, partition: owner.partition })
  }
  const headers: Record<string, string> = { [ROUTED_HEADER]: app.webUrl || '1' }
  if (typeof request.headers.accept === 'string') headers.accept = request.headers.accept
  if (typeof request.headers['content-type'] === 'string') headers['content-type'] = request.headers['content-type']
  const body = request.body === undefined ? undefined : JSON.stringify(request.body)
  const response = await proxy(
    routedUrl(owner.url, path ?? request.url),
    { method: request.method, headers, body },
    ROUTE_TIMEOUT_MS,
  )
  return reply.code(response.status).type(response.contentType).send(response.body)
}

function queryOf(url: string): string {
  const at = url.indexOf('?')
  return at < 0 ? '' : url.slice(at)
}

function describe(table: Collection) {
  return { name: table.name, help: table.help, kind: table.kind, partitions: table.partitions }
}

/**
 * The value of a string key from the URL, JSON-ready (sets as arrays); undefined when absent. As Faust's view (which
 * reads `table[key]`), a table with a default answers the default for an absent key.
 */
function lookupValue(table: Collection, key: string): unknown {
  const get = (table as unknown as { get?: (key: unknown) => unknown }).get
  if (typeof get !== 'function') return undefined
  const value = get.call(table, key)
  return value instanceof Set ? [...value] : value
}
