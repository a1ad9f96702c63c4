import { existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { type App, isApp } from '../app/app.ts'
import { FaustusError } from '../errors.ts'

const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs']

function notFound(message: string, details: Record<string, unknown>): FaustusError {
  return new FaustusError('FST_CLI_APP_NOT_FOUND', message, { details })
}

/** `path` or `path:name` (the export to use); a Windows drive letter is not a name. */
function splitSpec(spec: string): { path: string; name?: string } {
  const match = /^(.+?):([A-Za-z_$][\w$]*)$/.exec(spec)
  return match && match[1].length > 1 ? { path: match[1], name: match[2] } : { path: spec }
}

/** The file `path` names: as given, with a module extension, or Faust's dotted form (`examples.agent`). */
function resolveModule(path: string, cwd: string): string | undefined {
  const bases = [path]
  if (!path.includes('/') && /^[\w.]+$/.test(path) && path.includes('.')) bases.push(path.replaceAll('.', '/'))
  for (const base of bases) {
    const full = isAbsolute(base) ? base : resolve(cwd, base)
    const candidates = [full, ...EXTENSIONS.map((ext) => full + ext), ...EXTENSIONS.map((ext) => `${full}/index${ext}`)]
    const found = candidates.find((file) => existsSync(file) && statSync(file).isFile())
    if (found !== undefined) return found
  }
  return undefined
}

/** The app of an exported-names table: the named one, else `app`, else the single exported App. */
export function findApp(exports: Record<string, unknown>, spec: string, name?: string): App {
  if (name !== undefined) {
    const value = exports[name]
    if (isApp(value)) return value
    throw notFound(`module ${spec} has no exported App named "${name}"`, { module: spec, name })
  }
  if (isApp(exports.app)) return exports.app
  const apps = new Map<App, string>()
  for (const [key, value] of Object.entries(exports)) if (isApp(value) && !apps.has(value)) apps.set(value, key)
  if (apps.size === 1) return [...apps.keys()][0]
  if (apps.size === 0) {
    throw notFound(`module ${spec} exports no Faustus app (export one: export const app = new App('id'))`, {
      module: spec,
    })
  }
  const names = [...apps.values()]
  throw notFound(`module ${spec} exports several apps (${names.join(', ')}): choose one with -A ${spec}:<name>`, {
    module: spec,
    names,
  })
}

/** Imports the `-A` module (TypeScript loads through tsx, registered by bin/faustus.js) and finds its app. */
export async function loadApp(spec: string, cwd: string): Promise<App> {
  const { path, name } = splitSpec(spec)
  const file = resolveModule(path, cwd)
  if (file === undefined) throw notFound(`cannot find the app module "${path}" (from ${cwd})`, { module: path, cwd })
  const exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>
  return findApp(exports, spec, name)
}
