/**
 * Services that run alongside an app without the app knowing them (the web server): `web/` registers a factory,
 * which keeps `app/` free of imports from the layers above it. A factory returns nothing when it does not apply.
 */
import type { App } from './app.ts'

export interface AppExtension {
  /** Runs before the consumer joins the group (a web server must know its url before announcing it). */
  start(): Promise<void>
  /** Runs once the app has stopped. */
  stop(): Promise<void>
}

export type AppExtensionFactory = (app: App, options: { client: boolean }) => AppExtension | undefined

const factories: AppExtensionFactory[] = []

export function registerAppExtension(factory: AppExtensionFactory): void {
  if (!factories.includes(factory)) factories.push(factory)
}

export function createAppExtensions(app: App, options: { client: boolean }): AppExtension[] {
  return factories.map((factory) => factory(app, options)).filter((ext): ext is AppExtension => ext !== undefined)
}
