/** What manifests declared on each app: for listings (`faustus agents`), web views, and named channels. */
import type { App } from '../app/app.ts'
import type { Channel } from '../channels/channel.ts'
import type { Resource } from './resources.ts'
import type { DeclaredWebView } from './webview.ts'

export interface Declarations {
  /** Applied resources, in order. */
  readonly resources: Resource[]
  /** In-process channels by name (an agent's `input.channel`). */
  readonly channels: Map<string, Channel<any, any>>
  /** Table objects code sees by name (the windowed view for windowed tables). */
  readonly tables: Map<string, unknown>
  readonly webViews: DeclaredWebView[]
}

const registry = new WeakMap<App, Declarations>()

export function declarations(app: App): Declarations {
  let found = registry.get(app)
  if (found === undefined) {
    found = { resources: [], channels: new Map(), tables: new Map(), webViews: [] }
    registry.set(app, found)
  }
  return found
}

/** Where a declared agent, table, task or web view comes from: `{ kind, file, line }`, or undefined for code. */
export function declaredOrigin(
  app: App,
  kind: Resource['kind'],
  name: string,
): { kind: string; file: string; line: number } | undefined {
  const resource = registry.get(app)?.resources.find((r) => r.kind === kind && r.name === name)
  return resource && { kind: resource.kindName, file: resource.file, line: resource.line }
}

/** The web views manifests declared on `app`, for the web server to mount. */
export function webViews(app: App): readonly DeclaredWebView[] {
  return registry.get(app)?.webViews ?? []
}

/** The in-process channel a manifest named `name` on `app` (created on first use). */
export function declaredChannel(app: App, name: string, maxsize?: number): Channel<any, any> {
  const { channels } = declarations(app)
  let channel = channels.get(name)
  if (channel === undefined) {
    channel = app.channel({ name, maxsize })
    channels.set(name, channel)
  }
  return channel
}

/**
 * The tables code sees as `tables`: tables from manifests (windowed views included) and the app's own tables,
 * looked up when read, so tables defined later in code are seen too.
 */
export function tablesView(app: App): Record<string, unknown> {
  const declared = declarations(app).tables
  const lookup = (name: string) => declared.get(name) ?? app.tables.get(name)
  return new Proxy(
    {},
    {
      get: (_, name) => (typeof name === 'string' ? lookup(name) : undefined),
      has: (_, name) => typeof name === 'string' && lookup(name) !== undefined,
      ownKeys: () => [...new Set([...declared.keys(), ...app.tables.keys()])],
      getOwnPropertyDescriptor: (_, name) =>
        typeof name === 'string' && lookup(name) !== undefined
          ? { configurable: true, enumerable: true, value: lookup(name) }
          : undefined,
    },
  )
}
