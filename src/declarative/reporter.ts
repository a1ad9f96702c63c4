import { fieldPath, type ManifestIssue } from './issues.ts'
import { locate, type ManifestDocument, type Path, type Position } from './source.ts'

/** Collects the issues of one document, each located in the YAML and labelled with the resource. */
export class Reporter {
  readonly md: ManifestDocument
  /** `KasprAgent "offer-generator"`, or the kind and document number while the name is unknown. */
  resource: string | undefined
  readonly issues: ManifestIssue[]
  /** Accepted fields that have no effect (Kaspr's fields Faustus does not apply): reported, not refused. */
  readonly warnings: ManifestIssue[]

  constructor(md: ManifestDocument, issues: ManifestIssue[], warnings: ManifestIssue[] = []) {
    this.md = md
    this.issues = issues
    this.warnings = warnings
  }

  /** A warning about the field at `path`: accepted, but not applied. */
  warn(path: Path, message: string): void {
    this.warnings.push(this.#entry(locate(this.md, path, 'key'), path, message))
  }

  get count(): number {
    return this.issues.length
  }

  /** An issue about the field at `path` (or its key, for unknown fields). */
  report(path: Path, message: string, at: 'key' | 'value' = 'value'): void {
    this.reportAt(locate(this.md, path, at), path, message)
  }

  reportAt(position: Position, path: Path, message: string): void {
    this.issues.push(this.#entry(position, path, message))
  }

  #entry(position: Position, path: Path, message: string) {
    return {
      file: this.md.file,
      line: position.line,
      column: position.column,
      resource: this.resource,
      field: path.length > 0 ? fieldPath(path) : undefined,
      message,
    }
  }
}
