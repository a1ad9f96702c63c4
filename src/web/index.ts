/** The web layer: registering it makes every app with `webEnabled` start a web server with its worker. */
import { registerAppExtension } from '../app/extensions.ts'
import { WebServer } from './server.ts'

const WEB_SERVERS = new WeakMap<object, WebServer>()

registerAppExtension((app, { client }) => {
  if (client || !app.settings.webEnabled) return undefined
  const server = new WebServer(app)
  WEB_SERVERS.set(app, server)
  return server
})

/** The web server of a running app, when it has one (for tests and embedding). */
export function webServerOf(app: object): WebServer | undefined {
  return WEB_SERVERS.get(app)
}

export { fastifyPath } from './pages.ts'
export { WebServer, type WebServerOptions } from './server.ts'
export type { WorkerSnapshot } from './state.ts'
