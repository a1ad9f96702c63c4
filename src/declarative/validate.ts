/** Schema validation of one document with TypeBox, each error mapped to its line and column. */
import type { TSchema } from '@sinclair/typebox'
import { type ValueError, ValueErrorType } from '@sinclair/typebox/errors'
import { Value } from '@sinclair/typebox/value'
import { closestName } from '../app/closest.ts'
import type { Reporter } from './reporter.ts'
import { API_VERSIONS, kindOf, RESOURCE_KINDS, RESOURCE_SCHEMAS, type ResourceKind } from './schema.ts'
import type { Path } from './source.ts'

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** A JSON pointer from TypeBox as path segments; indexes into arrays become numbers. */
function toPath(pointer: string, root: unknown): (string | number)[] {
  const out: (string | number)[] = []
  let node: unknown = root
  for (const raw of pointer.split('/').slice(1)) {
    const segment = raw.replaceAll('~1', '/').replaceAll('~0', '~')
    const key = Array.isArray(node) && /^\d+$/.test(segment) ? Number(segment) : segment
    out.push(key)
    node = isRecord(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[key] : undefined
  }
  return out
}

/** The closest of `candidates` to `word`, when close enough to be a likely typo. */
export function suggest(word: string, candidates: readonly string[]): string | undefined {
  return closestName(word, candidates, Math.max(2, Math.floor(word.length / 3)))
}

function describeValue(value: unknown): string {
  const text = JSON.stringify(value)
  if (text === undefined) return String(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

function unionMessage(schema: TSchema): string {
  const options = (schema.anyOf ?? []) as TSchema[]
  if (options.length > 0 && options.every((option) => option.const !== undefined)) {
    return `expected one of ${options.map((option) => JSON.stringify(option.const)).join(', ')}`
  }
  return `expected ${schema.description ?? 'one of the allowed forms'}`
}

function messageFor(error: ValueError, path: Path): { message: string; at: 'key' | 'value' } {
  const name = path[path.length - 1]
  switch (error.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return { message: `missing required field "${name}"`, at: 'key' }
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys((error.schema.properties as Record<string, unknown> | undefined) ?? {})
      const hint = typeof name === 'string' ? suggest(name, known) : undefined
      const expected = known.length > 0 ? ` (known: ${known.join(', ')})` : ''
      return { message: `unknown field "${name}"${hint ? ` (did you mean "${hint}"?)` : expected}`, at: 'key' }
    }
    case ValueErrorType.Union:
      return { message: `${unionMessage(error.schema)}, got ${describeValue(error.value)}`, at: 'value' }
    case ValueErrorType.StringPattern:
      return {
        message: `${describeValue(error.value)} is not ${error.schema.description ?? `matching ${error.schema.pattern}`}`,
        at: 'value',
      }
    default:
      return { message: `${error.message.toLowerCase()}, got ${describeValue(error.value)}`, at: 'value' }
  }
}

/**
 * Validates a document against the schema of its kind. Returns the kind when the document is a valid resource.
 * One issue per field: TypeBox also reports the type of a missing field, which would only repeat it.
 */
export function validateDocument(value: unknown, reporter: Reporter): ResourceKind | undefined {
  if (!isRecord(value)) {
    reporter.report([], 'a resource must be a mapping with apiVersion, kind, metadata and spec')
    return undefined
  }
  const kind = kindOf(value.kind)
  const name = isRecord(value.metadata) && typeof value.metadata.name === 'string' ? value.metadata.name : undefined
  const kindText = typeof value.kind === 'string' ? value.kind : 'resource'
  reporter.resource = name === undefined ? `${kindText} (document ${reporter.md.index + 1})` : `${kindText} "${name}"`
  if (kind === undefined) {
    if (value.kind === undefined) reporter.report(['kind'], 'missing required field "kind"', 'key')
    else {
      const hint = typeof value.kind === 'string' ? suggest(value.kind, kindNames()) : undefined
      reporter.report(
        ['kind'],
        `unknown kind ${describeValue(value.kind)}${hint ? ` (did you mean "${hint}"?)` : ''}; ` +
          `expected one of ${RESOURCE_KINDS.join(', ')} (apiVersion ${API_VERSIONS[0]}) or the Kaspr names ` +
          `${RESOURCE_KINDS.map((k) => `Kaspr${k}`).join(', ')} (apiVersion ${API_VERSIONS[1]})`,
      )
    }
    return undefined
  }
  const before = reporter.count
  const seen = new Set<string>()
  for (const error of Value.Errors(RESOURCE_SCHEMAS[kind], value)) {
    if (seen.has(error.path)) continue
    seen.add(error.path)
    const path = toPath(error.path, value)
    const { message, at } = messageFor(error, path)
    reporter.report(path, message, at)
  }
  return reporter.count === before ? kind : undefined
}

function kindNames(): string[] {
  return RESOURCE_KINDS.flatMap((kind) => [kind, `Kaspr${kind}`])
}
