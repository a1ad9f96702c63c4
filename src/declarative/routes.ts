/**
 * Web-view paths with parameters: Kaspr (aiohttp) writes `/users/{user_id}`, fastify `/users/:user_id`; both are
 * accepted. A compiled path gives the route pattern for the web server, the parameter names, and matching.
 */

export interface RoutePath {
  /** As written in the manifest. */
  path: string
  /** The route as the web server (fastify) mounts it: `{name}` written as `:name`. */
  pattern: string
  /** Parameter names, in order. */
  params: string[]
  /** The parameters of a concrete path (decoded), or undefined when it does not match. */
  match(path: string): Record<string, string> | undefined
}

const PARAM = /^\{([^{}/]+)\}$|^:([^/]+)$/

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Parses a web-view path; names must be unique. */
export function routePath(path: string): RoutePath {
  const params: string[] = []
  const segments = path.split('/').map((segment) => {
    const found = PARAM.exec(segment)
    if (found === null) return { text: segment }
    const name = found[1] ?? found[2]
    params.push(name)
    return { name }
  })
  const pattern = segments.map((s) => ('name' in s ? `:${s.name}` : s.text)).join('/')
  const regex = new RegExp(`^${segments.map((s) => ('name' in s ? '([^/]+)' : escapeRegex(s.text!))).join('/')}/?$`)
  return {
    path,
    pattern,
    params,
    match(concrete) {
      const found = regex.exec(concrete.split('?')[0])
      if (found === null) return undefined
      try {
        return Object.fromEntries(params.map((name, i) => [name, decodeURIComponent(found[i + 1])]))
      } catch {
        return undefined
      }
    },
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

/** Path parameters that code sees as variables of their own (those that are identifiers). */
export function paramVariables(path: string, taken: readonly string[]): string[] {
  return routePath(path).params.filter((name) => IDENTIFIER.test(name) && !taken.includes(name))
}
