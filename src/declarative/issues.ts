import { relative, sep } from 'node:path'
import { FaustusError } from '../errors.ts'

/** One problem found in a manifest, with where it is. */
export interface ManifestIssue {
  file: string
  /** 1-based. */
  line: number
  /** 1-based. */
  column: number
  /** The resource it concerns, as `KasprAgent "offer-generator"`, when known. */
  resource?: string
  /** The field path, as `spec.processors.pipeline[2]`, when the issue is about a field. */
  field?: string
  message: string
}

/** A file name as messages show it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const rel = relative(process.cwd(), file)
  return rel === '' || rel.startsWith('..') || rel.startsWith(sep) ? file : rel
}

/** `file:line:col: KasprAgent "x" spec.input: message`, the form editors and terminals link. */
export function formatIssue(issue: ManifestIssue): string {
  const where = `${displayPath(issue.file)}:${issue.line}:${issue.column}`
  const what = [issue.resource, issue.field && `${issue.field}:`].filter(Boolean).join(' ')
  return `${where}: ${what ? `${what} ` : ''}${issue.message}`
}

/** Field path segments as a dotted path with indexes: `['spec', 'topics', 0, 'name']` → `spec.topics[0].name`. */
export function fieldPath(path: readonly (string | number)[]): string {
  let out = ''
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`
    else out += out === '' ? segment : `.${segment}`
  }
  return out
}

function byPosition(a: ManifestIssue, b: ManifestIssue): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column
}

/**
 * Every issue found in a set of manifests, thrown together: nothing runs until all manifests are valid. The
 * message lists one issue per line, sorted by file and position.
 */
export class ManifestError extends FaustusError {
  readonly issues: readonly ManifestIssue[]

  constructor(issues: ManifestIssue[]) {
    const sorted = [...issues].sort(byPosition)
    const count = sorted.length === 1 ? '1 error' : `${sorted.length} errors`
    super('FST_MANIFEST_INVALID', `invalid manifests (${count}):\n${sorted.map(formatIssue).join('\n')}`, {
      details: { issues: sorted },
    })
    this.name = 'ManifestError'
    this.issues = sorted
  }
}

/** Code from a manifest raised while running: names the resource, the code's field and where it is. */
export class ManifestCodeError extends FaustusError {
  constructor(where: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause)
    super('FST_MANIFEST_CODE', `${where} raised: ${message}`, { cause, details: { where } })
    this.name = 'ManifestCodeError'
  }
}
