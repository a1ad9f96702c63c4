/**
 * Reading manifests: files and directories of multi-document YAML, parsed with node positions kept so that every
 * error can name its line and column.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join, resolve } from 'node:path'
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, Scalar } from 'yaml'
import type { ManifestIssue } from './issues.ts'

export type Path = readonly (string | number)[]

/** One YAML document of a manifest file. */
export interface ManifestDocument {
  file: string
  /** 0-based position of the document in its file. */
  index: number
  doc: Document.Parsed
  lines: LineCounter
  text: string
  /** The document as plain data. */
  value: unknown
}

export interface Position {
  line: number
  column: number
}

const YAML_EXTENSIONS = new Set(['.yaml', '.yml'])

async function yamlFilesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile() && YAML_EXTENSIONS.has(extname(entry.name)))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
}

/** The YAML files `paths` name: files as given, directories searched recursively for `.yaml`/`.yml`. */
export async function manifestFiles(paths: readonly string[]): Promise<{ files: string[]; issues: ManifestIssue[] }> {
  const files: string[] = []
  const issues: ManifestIssue[] = []
  for (const path of paths) {
    const full = resolve(path)
    const info = await stat(full).catch(() => undefined)
    if (info === undefined) {
      issues.push({ file: full, line: 1, column: 1, message: 'no such file or directory' })
    } else if (info.isDirectory()) {
      const found = await yamlFilesUnder(full)
      if (found.length === 0) issues.push({ file: full, line: 1, column: 1, message: 'no .yaml or .yml file here' })
      files.push(...found)
    } else {
      files.push(full)
    }
  }
  return { files: [...new Set(files)], issues }
}

/** Parses every document of a file; YAML syntax errors become issues (a document with errors is skipped). */
export function parseManifestText(
  file: string,
  text: string,
): { documents: ManifestDocument[]; issues: ManifestIssue[] } {
  const lines = new LineCounter()
  const documents: ManifestDocument[] = []
  const issues: ManifestIssue[] = []
  const parsed = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const all = Array.isArray(parsed) ? parsed : []
  all.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        const { line, col } = lines.linePos(error.pos[0])
        issues.push({ file, line, column: col, message: `YAML: ${error.message.split('\n')[0]}` })
      }
      return
    }
    // An empty document (a stray `---`) is not a resource.
    if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return
    documents.push({ file, index, doc, lines, text, value: doc.toJS({ maxAliasCount: 100 }) })
  })
  return { documents, issues }
}

export async function readManifestFile(file: string) {
  return parseManifestText(file, await readFile(file, 'utf8'))
}

function childPair(node: unknown, segment: string | number) {
  if (isMap(node)) {
    return node.items.find((pair) => (isScalar(pair.key) ? pair.key.value : pair.key) === segment)
  }
  return undefined
}

function child(node: unknown, segment: string | number): Node | undefined {
  if (isMap(node)) {
    const pair = childPair(node, segment)
    return isPair(pair) ? ((pair.value as Node | null) ?? undefined) : undefined
  }
  if (isSeq(node) && typeof segment === 'number') return (node.items[segment] as Node | undefined) ?? undefined
  return undefined
}

function positionOf(md: ManifestDocument, offset: number | undefined): Position {
  const { line, col } = md.lines.linePos(offset ?? 0)
  return { line, column: col }
}

/**
 * Where `path` is in the document. For a path that does not exist (a missing field), the key of the deepest
 * existing parent. `at: 'key'` points at a map entry's key rather than its value (for unknown fields).
 */
export function locate(md: ManifestDocument, path: Path, at: 'key' | 'value' = 'value'): Position {
  let node: unknown = md.doc.contents
  let keyNode: Node | undefined
  for (const segment of path) {
    const pair = childPair(node, segment)
    const next = child(node, segment)
    if (next === undefined && !(isPair(pair) && pair.key)) break
    keyNode = isPair(pair) ? (pair.key as Node) : undefined
    node = next
    if (next === undefined) break
  }
  const target = at === 'key' || node === undefined ? (keyNode ?? (node as Node)) : (node as Node)
  return positionOf(md, (target as Node | undefined)?.range?.[0])
}

/** True when `path` exists in the document. */
export function exists(md: ManifestDocument, path: Path): boolean {
  let node: unknown = md.doc.contents
  for (const segment of path) {
    node = child(node, segment)
    if (node === undefined) return false
  }
  return true
}

/**
 * Where the text of the string at `path` starts: the line and column of its first character. A block scalar
 * (`|`) starts on the line after its indicator, at the block's indentation.
 */
export function scalarStart(md: ManifestDocument, path: Path): Position & { block: boolean } {
  let node: unknown = md.doc.contents
  for (const segment of path) node = child(node, segment)
  if (!isScalar(node) || node.range === undefined || node.range === null) {
    return { ...locate(md, path), block: false }
  }
  const start = positionOf(md, node.range[0])
  if (node.type !== Scalar.BLOCK_LITERAL && node.type !== Scalar.BLOCK_FOLDED) {
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE
    return { line: start.line, column: start.column + (quoted ? 1 : 0), block: false }
  }
  // The code's first line is the one after the indicator; the first non-empty line gives the indentation.
  const textLines = md.text.split('\n')
  for (let line = start.line + 1; line <= textLines.length; line++) {
    const content = textLines[line - 1]
    if (content.trim() === '') continue
    return { line: start.line + 1, column: content.length - content.trimStart().length + 1, block: true }
  }
  return { line: start.line + 1, column: 1, block: true }
}
