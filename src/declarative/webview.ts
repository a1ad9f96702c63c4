/**
 * WebView resources as request handlers: the pipeline runs with the request body as `value` (and the request as
 * `request`); the response comes from the result, shaped by the response selectors. The handlers are kept on the
 * app's declarations (`webViews(app)`) for the web server to mount.
 */

import { errorFields } from '../logging.ts'
import { ManifestCodeError } from './issues.ts'
import type { ArgsOf, Item } from './outputs.ts'
import { buildSteps, runSteps, type StepContext } from './pipeline.ts'
import type { ResourceProgram } from './program.ts'
import { type Resource, resourceName } from './resources.ts'
import { routePath } from './routes.ts'
import { OPERATION_PARAMS, webViewParams } from './snippets.ts'

export interface WebViewRequest {
  method: string
  path: string
  params?: Record<string, string>
  query?: Record<string, unknown>
  headers?: Record<string, unknown>
  body?: unknown
}

export interface WebViewResponse {
  statusCode: number
  headers: Record<string, string>
  /** JSON text for application/json, else the body as a string or bytes. */
  body: string | Buffer
}

export interface DeclaredWebView {
  name: string
  method: string
  /** The path as the manifest writes it (`/users/{id}`). */
  path: string
  /** The route for the web server: `{id}` written as fastify's `:id`. */
  pattern: string
  /** The path's parameter names. */
  params: readonly string[]
  /** The parameters of a concrete path, or undefined when it is not this view's. */
  match(path: string): Record<string, string> | undefined
  /**
   * Runs the view. `request.params` are the path's parameters (the web server's); when absent they are taken from
   * `request.path`. The code sees them as `params` and, when they are identifiers, by name (Kaspr passes them so).
   */
  handle(request: WebViewRequest): Promise<WebViewResponse>
}

/** What code raised, without Faustus's wrapper (whose message names the manifest file: never sent to clients). */
function original(error: unknown): unknown {
  return error instanceof ManifestCodeError && error.cause !== undefined ? error.cause : error
}

function encodeBody(value: unknown, contentType: string): string | Buffer {
  if (Buffer.isBuffer(value)) return value
  if (contentType === 'application/json') return JSON.stringify(value ?? null)
  return value === undefined || value === null ? '' : String(value)
}

/** Builds the handler of a WebView resource. */
export function defineWebView(resource: Resource<'WebView'>, ctx: Omit<StepContext, 'names'>): DeclaredWebView {
  const spec = resource.spec
  const route = routePath(spec.request.path)
  const names = webViewParams(spec.request.path)
  const variables = names.slice(OPERATION_PARAMS.WebView.length)
  const argsOf: ArgsOf = (item) => {
    const params = ((item.request as WebViewRequest | undefined)?.params ?? {}) as Record<string, string>
    return [item.value, item.request, params, ...variables.map((name) => params[name])]
  }
  const steps = buildSteps(spec.processors, { ...ctx, names })
  const response = spec.response ?? {}
  const contentType = response.contentType ?? 'application/json'
  const selector = (
    field: 'bodySelector' | 'statusCodeSelector' | 'headersSelector',
    outcome: 'onSuccess' | 'onError',
  ) =>
    select(
      ctx.program,
      ['spec', 'response', field, outcome],
      [outcome === 'onSuccess' ? 'value' : 'error', ...names.slice(1)],
      argsOf,
    )
  const body = { onSuccess: selector('bodySelector', 'onSuccess'), onError: selector('bodySelector', 'onError') }
  const status = {
    onSuccess: selector('statusCodeSelector', 'onSuccess'),
    onError: selector('statusCodeSelector', 'onError'),
  }
  const headers = {
    onSuccess: selector('headersSelector', 'onSuccess'),
    onError: selector('headersSelector', 'onError'),
  }

  const respond = async (outcome: 'onSuccess' | 'onError', subject: unknown, request: WebViewRequest) => {
    const fallbackBody = outcome === 'onSuccess' ? subject : { error: errorMessage(subject) }
    const statusCode =
      (await status[outcome]?.(subject, request)) ?? (outcome === 'onSuccess' ? (response.statusCode ?? 200) : 500)
    const extra = ((await headers[outcome]?.(subject, request)) ?? {}) as Record<string, string>
    const payload = body[outcome] ? await body[outcome](subject, request) : fallbackBody
    return {
      statusCode: Number(statusCode),
      headers: { 'content-type': contentType, ...response.headers, ...extra },
      body: encodeBody(payload, contentType),
    }
  }

  const log = ctx.app.log.child({ webView: resourceName(resource) })
  const failed = async (error: unknown, request: WebViewRequest): Promise<WebViewResponse> => {
    // The log gets the whole error (resource, field, manifest line); the response only what the code raised.
    log.error({ ...errorFields(error) }, 'web view failed')
    try {
      return await respond('onError', original(error), request)
    } catch (selectorError) {
      log.error({ ...errorFields(selectorError) }, 'web view onError selector failed')
      return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"internal error"}' }
    }
  }

  return {
    name: resourceName(resource),
    method: spec.request.method,
    path: spec.request.path,
    pattern: route.pattern,
    params: route.params,
    match: (path) => route.match(path),
    async handle(request) {
      const params = request.params ?? route.match(request.path) ?? {}
      const withParams: WebViewRequest = { ...request, params }
      let result: unknown = null
      try {
        const item: Item = { value: request.body ?? null, request: withParams }
        await runSteps(steps, 0, item, argsOf, (done) => {
          result = done.value
        })
        return await respond('onSuccess', result, withParams)
      } catch (error) {
        return failed(error, withParams)
      }
    },
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function select(program: ResourceProgram, path: (string | number)[], names: readonly string[], argsOf: ArgsOf) {
  if (!program.has(path)) return undefined
  const call = program.call(path, names)
  return async (subject: unknown, request: WebViewRequest) =>
    call([subject, ...argsOf({ value: subject, request }).slice(1)])
}
