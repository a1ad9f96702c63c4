/** `createAppFromManifests`: a new App from an App resource (or a name), with the other resources applied. */
import { App, type AppOptions } from '../app/app.ts'
import { FaustusError } from '../errors.ts'
import { type AppliedManifests, applyManifests } from './apply.ts'
import { appConfigSettings } from './config.ts'
import { displayPath } from './issues.ts'
import { loadManifests } from './load.ts'
import { isKind, type ManifestSet, type Resource } from './resources.ts'

export interface CreateAppOptions extends AppOptions {
  /** Which app to build when the manifests declare several (or none: then an app of this name, default settings). */
  app?: string
}

function chooseApp(set: ManifestSet, name: string | undefined): { id: string; resource?: Resource<'App'> } {
  const apps = set.resources.filter((r): r is Resource<'App'> => isKind(r, 'App'))
  if (name !== undefined) return { id: name, resource: apps.find((r) => r.name === name) }
  if (apps.length === 1) return { id: apps[0].name, resource: apps[0] }
  const where = set.files.map(displayPath).join(', ')
  if (apps.length === 0) {
    throw new FaustusError('FST_MANIFEST_INVALID', `no App resource in ${where}: name the app to run (--app NAME)`, {
      details: { files: set.files },
    })
  }
  const names = apps.map((r) => r.name)
  throw new FaustusError(
    'FST_MANIFEST_INVALID',
    `several apps are declared (${names.join(', ')}): choose one (--app NAME)`,
    {
      details: { apps: names },
    },
  )
}

/** App settings from an App resource: `config`, with `broker` (or Kaspr's `bootstrapServers`) as the broker. */
export function appSettings(resource: Resource<'App'> | undefined): AppOptions {
  const spec = resource?.spec
  if (spec === undefined) return {}
  const broker = spec.broker ?? (spec.bootstrapServers === undefined ? undefined : `kafka://${spec.bootstrapServers}`)
  return { ...appConfigSettings(spec.config), ...(broker === undefined ? {} : { broker }) }
}

/**
 * Builds the app the manifests declare (settings from its App resource, overridden by `options`) and applies its
 * agents, tables, tasks and web views. `manifests` is a loaded set or the paths to load.
 */
export async function createAppFromManifests(
  manifests: ManifestSet | string | readonly string[],
  options: CreateAppOptions = {},
): Promise<{ app: App; applied: AppliedManifests }> {
  const { app: name, ...appOptions } = options
  const set =
    typeof manifests === 'string' || Array.isArray(manifests)
      ? await loadManifests(manifests as string | readonly string[], { app: name })
      : (manifests as ManifestSet)
  const chosen = chooseApp(set, name)
  const app = new App(chosen.id, { ...appSettings(chosen.resource), ...appOptions })
  const applied = await applyManifests(app, set)
  return { app, applied }
}
