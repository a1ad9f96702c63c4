/**
 * What the `faustus` CLI calls for manifests:
 *   `faustus run <file|dir>... [--app NAME] [--check]`  → runManifests(paths, { app, check, stdout, stderr, worker })
 *   `faustus -A module worker --manifests <dir>`       → withManifests(app, [dir]) before running the worker
 */
import type { App, AppOptions } from '../app/app.ts'
import { createAppFromManifests } from './app.ts'
import { type AppliedManifests, applyManifests } from './apply.ts'
import { displayPath, formatIssue, ManifestError } from './issues.ts'
import { loadManifests } from './load.ts'
import type { ManifestSet } from './resources.ts'

export interface RunManifestsOptions {
  /** The app to run (its App resource, or a new app of that name when none declares it). */
  app?: string
  /** Validate everything and return 0 (valid) or 1 (not), starting nothing. */
  check?: boolean
  /** App settings overriding the App resource's (e.g. `broker` from --broker). */
  appOptions?: AppOptions
  stdout?: (text: string) => void
  stderr?: (text: string) => void
  /** Runs the app until it stops: the CLI passes its worker loop (signals, graceful stop). */
  worker?: (app: App) => Promise<void>
}

/** A one-line-per-resource summary of a valid set. */
export function describeManifests(set: ManifestSet): string {
  const lines = set.resources.map((r) => {
    const app = r.kind === 'App' || r.app === undefined ? '' : ` (app ${r.app})`
    return `  ${r.kindName} ${r.name}${app}  ${displayPath(r.file)}:${r.line}`
  })
  const files = set.files.length === 1 ? '1 file' : `${set.files.length} files`
  return `${set.resources.length} resources valid in ${files}:\n${lines.join('\n')}\n`
}

/** Starts the app and runs it until SIGINT/SIGTERM or a crash (for callers without the CLI's worker loop). */
async function defaultWorker(app: App): Promise<void> {
  await app.start()
  const stop = () => void app.stop()
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  const keepAlive = setInterval(() => {}, 1 << 30)
  try {
    await app.done
  } finally {
    clearInterval(keepAlive)
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
  }
}

/**
 * `faustus run`: loads and validates the manifests (every issue reported at once, nothing started when one is
 * found), builds the app and runs it. With `check`, returns 0 or 1 after validating. Resolves with the exit code;
 * errors other than invalid manifests in check mode are thrown for the CLI to report.
 */
export async function runManifests(
  paths: string | readonly string[],
  options: RunManifestsOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => void process.stdout.write(text))
  const stderr = options.stderr ?? ((text: string) => void process.stderr.write(text))
  if (options.check) {
    try {
      const set = await loadManifests(paths, { app: options.app })
      // The same build as a run (settings, resources applied), without starting: check refuses what run refuses.
      await createAppFromManifests(set, { ...options.appOptions, app: options.app })
      stdout(describeManifests(set))
      const warnings = set.warnings ?? []
      if (warnings.length > 0) stderr(`${warnings.map((w) => `warning: ${formatIssue(w)}`).join('\n')}\n`)
      return 0
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error
      stderr(`${error.issues.map(formatIssue).join('\n')}\n${error.issues.length} error(s): nothing started\n`)
      return 1
    }
  }
  const set = await loadManifests(paths, { app: options.app })
  const { app } = await createAppFromManifests(set, { ...options.appOptions, app: options.app })
  await (options.worker ?? defaultWorker)(app)
  return 0
}

/** `worker --manifests <dir>`: applies the manifests that belong to `app` (its id, or no app label) to it. */
export async function withManifests(app: App, paths: string | readonly string[]): Promise<AppliedManifests> {
  return applyManifests(app, await loadManifests(paths, { app: app.id }))
}
