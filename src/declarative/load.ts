/**
 * `loadManifests`: reads YAML files or directories, validates every document against the JSON Schema, checks
 * what the schema cannot, compiles the code, and assigns resources to apps. Every manifest is checked and every
 * issue reported together (one ManifestError); nothing is returned unless all are valid.
 */
import { compileSnippet, loadTypeScript } from './code.ts'
import { displayPath, ManifestError, type ManifestIssue } from './issues.ts'
import { Reporter } from './reporter.ts'
import { type AnyResource, type ManifestSet, pathKey, type Resource, resourceName } from './resources.ts'
import { APP_LABELS, type MetadataType } from './schema.ts'
import { checkSemantics } from './semantics.ts'
import { checkLanguage, snippetsOf } from './snippets.ts'
import { locate, type ManifestDocument, manifestFiles, readManifestFile } from './source.ts'
import { validateDocument } from './validate.ts'

export interface LoadOptions {
  /** The app the manifests are loaded for (besides App resources): labels may name it. */
  app?: string
}

interface Loaded {
  resource: Resource
  reporter: Reporter
}

/** The app label of a resource and where it is: `metadata.labels[...]`, or directly under metadata (seed 002). */
export function appLabel(metadata: MetadataType): { value: string; path: string[] }[] {
  const out: { value: string; path: string[] }[] = []
  for (const label of APP_LABELS) {
    const inLabels = metadata.labels?.[label]
    if (inLabels !== undefined) out.push({ value: inLabels, path: ['metadata', 'labels', label] })
    const direct = metadata[label]
    if (direct !== undefined) out.push({ value: direct, path: ['metadata', label] })
  }
  return out
}

async function loadDocument(
  md: ManifestDocument,
  issues: ManifestIssue[],
  warnings: ManifestIssue[],
): Promise<Loaded | undefined> {
  const reporter = new Reporter(md, issues, warnings)
  const kind = validateDocument(md.value, reporter)
  if (kind === undefined) return undefined
  const value = md.value as { apiVersion: string; kind: string; metadata: MetadataType; spec?: any }
  const before = reporter.count
  checkSemantics(kind, value.spec, reporter)
  const requests = snippetsOf(kind, value.spec).filter((request) => checkLanguage(request, reporter))
  if (requests.some((request) => request.code.typescript !== undefined)) await loadTypeScript()
  const code = new Map()
  for (const request of requests) {
    const compiled = compileSnippet(request, reporter)
    if (compiled !== undefined) code.set(pathKey(request.path), compiled)
  }
  if (reporter.count > before) return undefined
  const labels = appLabel(value.metadata)
  const distinct = [...new Set(labels.map((label) => label.value))]
  if (distinct.length > 1) {
    reporter.report(labels[1].path, `app labels disagree (${distinct.join(' vs ')}): keep one`)
    return undefined
  }
  const resource: Resource = {
    kind,
    kindName: value.kind,
    apiVersion: value.apiVersion,
    name: value.metadata.name,
    app: kind === 'App' ? value.metadata.name : distinct[0],
    spec: value.spec,
    label: reporter.resource ?? kind,
    file: md.file,
    line: locate(md, []).line,
    document: md,
    code,
  }
  return { resource, reporter }
}

/** App assignment: labels must name a known app; an unlabeled resource joins the only app, if there is one. */
function assignApps(loaded: Loaded[], options: LoadOptions): void {
  const declared = loaded.filter(({ resource }) => resource.kind === 'App').map(({ resource }) => resource.name)
  const known = [...new Set([...declared, ...(options.app === undefined ? [] : [options.app])])]
  for (const { resource, reporter } of loaded) {
    if (resource.kind === 'App') continue
    const labelPath = appLabel((resource.document.value as { metadata: MetadataType }).metadata)[0]?.path
    if (resource.app !== undefined) {
      // Without any known app (an agents-only file), the app applying them checks the label.
      if (known.length > 0 && !known.includes(resource.app)) {
        reporter.report(labelPath ?? ['metadata'], `unknown app "${resource.app}": known apps are ${known.join(', ')}`)
      }
    } else if (known.length === 1) {
      resource.app = known[0]
    } else if (known.length > 1) {
      reporter.report(
        ['metadata', 'name'],
        `no app label and several apps are declared (${known.join(', ')}): add metadata.labels["kaspr.io/app"]`,
      )
    }
  }
}

function checkDuplicates(loaded: Loaded[]): void {
  const seen = new Map<string, Resource>()
  for (const { resource, reporter } of loaded) {
    const key = `${resource.kind}\u0000${resource.kind === 'App' ? '' : (resource.app ?? '')}\u0000${resourceName(resource)}`
    const first = seen.get(key)
    if (first === undefined) {
      seen.set(key, resource)
      continue
    }
    const where = `${displayPath(first.file)}:${first.line}`
    reporter.report(
      ['metadata', 'name'],
      `a ${resource.kind} named "${resourceName(resource)}" is already declared at ${where}`,
    )
  }
}

/**
 * Tables an operation uses must be its own app's: a Table resource of another app is not defined on this one
 * (applying would refuse it; checking must too). A name no Table resource declares may be a code table.
 */
function checkTableOwners(loaded: Loaded[]): void {
  const owners = new Map<string, Set<string | undefined>>()
  for (const { resource } of loaded) {
    if (resource.kind !== 'Table') continue
    const name = resourceName(resource)
    owners.set(name, (owners.get(name) ?? new Set()).add(resource.app))
  }
  for (const { resource, reporter } of loaded) {
    // Unlabeled resources with no app known yet join whichever app applies them: the apply checks them.
    if (resource.app === undefined) continue
    const operations = (resource.spec as { processors?: { operations?: { tables?: { name: string }[] }[] } })
      ?.processors?.operations
    operations?.forEach((operation, index) => {
      operation.tables?.forEach((ref, i) => {
        const apps = owners.get(ref.name)
        if (apps === undefined || apps.has(resource.app) || apps.has(undefined)) return
        const path = ['spec', 'processors', 'operations', index, 'tables', i, 'name']
        const others = [...apps].map((app) => `"${app}"`).join(', ')
        reporter.report(
          path,
          `table "${ref.name}" belongs to app ${others}, not to app "${resource.app}" of this resource: ` +
            'declare it for this app, or label this resource for that app',
        )
      })
    })
  }
}

/** Reads, validates and compiles manifests; throws one ManifestError listing every issue. */
export async function loadManifests(
  paths: string | readonly string[],
  options: LoadOptions = {},
): Promise<ManifestSet> {
  const list = typeof paths === 'string' ? [paths] : paths
  const { files, issues } = await manifestFiles(list)
  const loaded: Loaded[] = []
  const warnings: ManifestIssue[] = []
  for (const file of files) {
    const { documents, issues: syntax } = await readManifestFile(file)
    issues.push(...syntax)
    for (const md of documents) {
      const result = await loadDocument(md, issues, warnings)
      if (result !== undefined) loaded.push(result)
    }
  }
  assignApps(loaded, options)
  checkDuplicates(loaded)
  checkTableOwners(loaded)
  if (issues.length > 0) throw new ManifestError(issues)
  warnings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column)
  return { resources: loaded.map(({ resource }) => resource as AnyResource), files, warnings }
}
