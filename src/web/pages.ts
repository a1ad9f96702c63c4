/**
 * Mounts the app's pages (`app.page`) and the web views its Kaspr manifests declared. Paths use `{name}` parameters
 * (Faust's and Kaspr's form), turned into fastify's `:name`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { App } from '../app/app.ts'
import type { Page, PageRequest } from '../app/pages.ts'
import { webViews } from '../declarative/index.ts'
import { FaustusError } from '../errors.ts'
import { tableByName } from './router.ts'
import { routeOr } from './tables.ts'

/** `/count/{word}/` → `/count/:word/`. */
export function fastifyPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1')
}

export function mountPages(server: FastifyInstance, app: App): void {
  for (const page of app.pages) {
    for (const [method, handler] of page.handlers) {
      server.route({
        method,
        url: fastifyPath(page.path),
        handler: (request, reply) =>
          page.tableRoute === undefined
            ? handler(request as PageRequest, reply)
            : routed(app, page, request, reply, () => handler(request as PageRequest, reply)),
      })
    }
  }
  for (const view of webViews(app)) {
    server.route({
      method: view.method.toUpperCase() as 'GET',
      url: fastifyPath(view.path),
      handler: async (request, reply) => {
        const response = await view.handle({
          method: request.method,
          path: request.url.split('?')[0],
          params: request.params as Record<string, string>,
          query: request.query as Record<string, unknown>,
          headers: request.headers as Record<string, unknown>,
          body: request.body,
        })
        return reply.code(response.statusCode).headers(response.headers).send(response.body)
      },
    })
  }
}

function routed(app: App, page: Page, request: FastifyRequest, reply: FastifyReply, local: () => unknown) {
  const route = page.tableRoute!
  const name = typeof route.table === 'string' ? route.table : route.table.name
  const table = tableByName(app, name)
  if (table === undefined) {
    throw new FaustusError('FST_APP_DEFINITION', `page "${page.path}" routes by table "${name}", which is not defined`)
  }
  const source = route.match !== undefined ? request.params : request.query
  const key = (source as Record<string, string>)[(route.match ?? route.query)!]
  if (key === undefined) return reply.code(400).send({ error: `missing key parameter ${route.match ?? route.query}` })
  return routeOr(app, table, key, request, reply, undefined, local)
}
