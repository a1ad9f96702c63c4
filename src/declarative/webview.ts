/**
 * WebView resources as request handlers: the pipeline runs with the request body as `value` (and the request as
 * `request`); the response comes from the result, shaped by the response selectors. The handlers are kept on the
 * app's declarations (`webViews(app)`) for the web server to mount.
 */
import type { ArgsOf, Item } from './outputs.ts'
import { buildSteps, runSteps, type StepContext } from './pipeline.ts'
import type { ResourceProgram } from './program.ts'
import { type Resource, resourceName } from './resources.ts'
import { OPERATION_PARAMS } from './snippets.ts'

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
  path: string
  handle(request: WebViewRequest): Promise<WebViewResponse>
}

const argsOf: ArgsOf = (item) => [item.value, item.request]

function encodeBody(value: unknown, contentType: string): string | Buffer {
  if (Buffer.isBuffer(value)) return value
  if (contentType === 'application/json') return JSON.stringify(value ?? null)
  return value === undefined || value === null ? '' : String(value)
}

/** Builds the handler of a WebView resource. */
export function defineWebView(resource: Resource<'WebView'>, ctx: Omit<StepContext, 'names'>): DeclaredWebView {
  const spec = resource.spec
  const steps = buildSteps(spec.processors, { ...ctx, names: OPERATION_PARAMS.WebView })
  const response = spec.response ?? {}
  const contentType = response.contentType ?? 'application/json'
  const selector = (
    field: 'bodySelector' | 'statusCodeSelector' | 'headersSelector',
    outcome: 'onSuccess' | 'onError',
  ) => select(ctx.program, ['spec', 'response', field, outcome], outcome === 'onSuccess' ? 'value' : 'error')
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
    const fallbackBody = outcome === 'onSuccess' ? subject : { error: (subject as Error)?.message ?? String(subject) }
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

  return {
    name: resourceName(resource),
    method: spec.request.method,
    path: spec.request.path,
    async handle(request) {
      let result: unknown = null
      try {
        const item: Item = { value: request.body ?? null, request }
        await runSteps(steps, 0, item, argsOf, (done) => {
          result = done.value
        })
      } catch (error) {
        return respond('onError', error, request)
      }
      return respond('onSuccess', result, request)
    },
  }
}

function select(program: ResourceProgram, path: (string | number)[], first: string) {
  if (!program.has(path)) return undefined
  const call = program.call(path, [first, 'request'])
  return async (subject: unknown, request: WebViewRequest) => call([subject, request])
}
