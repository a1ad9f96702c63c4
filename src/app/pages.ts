/**
 * User web pages (Faust's `@app.page`), declared on the app and mounted by the web server when it starts. Handlers
 * get fastify's request and reply: what they return is the response body (objects as JSON).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { FaustusError } from '../errors.ts'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS'

export type PageRequest = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string> }>
export type PageReply = FastifyReply

export type PageHandler = (request: PageRequest, reply: PageReply) => unknown

/** A Faust View: one handler per method. */
export type PageView = Partial<Record<Lowercase<HttpMethod>, PageHandler>>

/** The table whose key a page's request names: the request goes to the worker owning the key (Faust's `table_route`). */
export interface TableRouteOptions {
  /** The table (or its name). */
  table: { readonly name: string } | string
  /** The path parameter holding the key (`{word}` in the path → `match: 'word'`). */
  match?: string
  /** Or the query parameter holding it (`?word=`). */
  query?: string
}

export interface PageOptions {
  /** Methods a plain handler answers (default GET). */
  methods?: HttpMethod[]
  /** Answer on the worker owning the key of a table, proxying the request there when it is another one. */
  tableRoute?: TableRouteOptions
}

export interface Page {
  /** As declared, with `{name}` path parameters (Faust's and Kaspr's form). */
  path: string
  handlers: Map<HttpMethod, PageHandler>
  tableRoute?: TableRouteOptions
}

const METHODS: readonly HttpMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']

export function definePage(path: string, handler: PageHandler | PageView, options: PageOptions = {}): Page {
  if (typeof path !== 'string' || !path.startsWith('/')) {
    throw new FaustusError('FST_APP_DEFINITION', `a page path must start with "/" (got ${JSON.stringify(path)})`)
  }
  const handlers = new Map<HttpMethod, PageHandler>()
  if (typeof handler === 'function') {
    for (const method of options.methods ?? ['GET']) handlers.set(method, handler)
  } else if (typeof handler === 'object' && handler !== null) {
    for (const method of METHODS) {
      const fn = handler[method.toLowerCase() as Lowercase<HttpMethod>]
      if (typeof fn === 'function') handlers.set(method, fn)
    }
  }
  if (handlers.size === 0) {
    throw new FaustusError('FST_APP_DEFINITION', `page "${path}" needs a handler function or a view with methods`)
  }
  const route = options.tableRoute
  if (route !== undefined && (route.match === undefined) === (route.query === undefined)) {
    throw new FaustusError('FST_APP_DEFINITION', `page "${path}": tableRoute needs one of match or query`)
  }
  return { path, handlers, tableRoute: route }
}
