/** Validated resources, as the loader hands them to `applyManifests`. */
import type { CompiledSnippet } from './code.ts'
import type { ManifestIssue } from './issues.ts'
import type { AppSpecType, JoinSpecType, ResourceKind, TableSpecType, TaskSpecType, WebViewSpecType } from './schema.ts'
import type { AgentSpecType } from './schema-parts.ts'
import type { ManifestDocument, Path } from './source.ts'

export interface SpecOf {
  App: AppSpecType
  Agent: AgentSpecType
  Table: TableSpecType
  Task: TaskSpecType
  WebView: WebViewSpecType
  Join: JoinSpecType
}

/** One manifest resource. */
export interface Resource<K extends ResourceKind = ResourceKind> {
  kind: K
  /** The kind as written (`KasprAgent`). */
  kindName: string
  apiVersion: string
  /** `metadata.name`. */
  name: string
  /** The app it belongs to: its `faustus.io/app` or `kaspr.io/app` label, or the only app of the set. */
  app: string | undefined
  spec: SpecOf[K]
  /** `KasprAgent "offer-generator"`, for messages. */
  label: string
  file: string
  line: number
  document: ManifestDocument
  /** Code compiled at load time, keyed by the field path of each code object. */
  code: Map<string, CompiledSnippet>
}

export type AnyResource = { [K in ResourceKind]: Resource<K> }[ResourceKind]

export function isKind<K extends ResourceKind>(resource: Resource, kind: K): resource is Resource<K> {
  return resource.kind === kind
}

export function pathKey(path: Path): string {
  return path.join('.')
}

/** The compiled snippet of the code object at `path`, when the resource has one there. */
export function snippetAt(resource: Resource, path: Path): CompiledSnippet | undefined {
  return resource.code.get(pathKey(path))
}

/** A resource's name for its kind: `spec.name` when given (Kaspr tables, tasks, webviews), else metadata.name. */
export function resourceName(resource: Resource): string {
  const specName = (resource.spec as { name?: unknown } | undefined)?.name
  return resource.kind !== 'Agent' && typeof specName === 'string' ? specName : resource.name
}

/** Every resource of a loaded set, and the apps they belong to. */
export interface ManifestSet {
  resources: AnyResource[]
  /** The files read. */
  files: string[]
  /** Fields accepted but not applied (Kaspr's fields Faustus has no equivalent for), one per field. */
  warnings?: ManifestIssue[]
}
