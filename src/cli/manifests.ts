/**
 * `faustus run <paths> [--check]`. Both go through `prepareManifests`: load, validate, build the app and apply every
 * resource to it (settings checked, code compiled, names resolved). `--check` stops there, so it accepts exactly
 * what `run` would start; before, it only loaded the files and accepted sets that `run` then refused.
 */
import type { App, AppOptions } from '../app/app.ts'
import { createAppFromManifests } from '../declarative/app.ts'
import { describeManifests } from '../declarative/cli.ts'
import { formatIssue, ManifestError } from '../declarative/issues.ts'
import { loadManifests } from '../declarative/load.ts'

export interface ManifestCommandOptions {
  /** `--app NAME`: which app of the manifests to run. */
  app?: string
  appOptions?: AppOptions
  stdout: (text: string) => void
  stderr: (text: string) => void
}

/** Everything `run` does before starting: the built app, or a thrown ManifestError / FaustusError. */
export async function prepareManifests(paths: readonly string[], options: ManifestCommandOptions) {
  const set = await loadManifests(paths, { app: options.app })
  const { app } = await createAppFromManifests(set, { ...options.appOptions, app: options.app })
  return { set, app }
}

/** Invalid manifests are listed, every issue at once; other errors (a refused setting...) go to the CLI as `run`'s. */
function reportIssues(error: unknown, stderr: (text: string) => void): number {
  if (!(error instanceof ManifestError)) throw error
  stderr(`${error.issues.map(formatIssue).join('\n')}\n${error.issues.length} error(s): nothing started\n`)
  return 1
}

/** `run --check`: 0 when `run` would start these manifests, else 1 with what it would refuse. Starts nothing. */
export async function checkManifests(paths: readonly string[], options: ManifestCommandOptions): Promise<number> {
  try {
    const { set } = await prepareManifests(paths, options)
    options.stdout(describeManifests(set))
    const warnings = set.warnings ?? []
    if (warnings.length > 0) options.stderr(`${warnings.map((w) => `warning: ${formatIssue(w)}`).join('\n')}\n`)
    return 0
  } catch (error) {
    return reportIssues(error, options.stderr)
  }
}

/** `run`: prepares the manifests as `--check` does, then runs the app with `worker` until it stops. */
export async function runManifestsCommand(
  paths: readonly string[],
  options: ManifestCommandOptions & { worker: (app: App) => Promise<void> },
): Promise<number> {
  let app: App
  try {
    ;({ app } = await prepareManifests(paths, options))
  } catch (error) {
    return reportIssues(error, options.stderr)
  }
  await options.worker(app)
  return 0
}
