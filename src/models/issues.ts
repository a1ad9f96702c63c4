import type { TypeCheck } from '@sinclair/typebox/compiler'
import { FaustusError, type MessageOrigin, ValidationError } from '../errors.ts'

/**
 * A validation failure inside a record, with the path to the field (`items[2].price`). Thrown internally while
 * building nested values; turned into a public ValidationError, with the message origin, at the API boundary.
 */
export class FieldIssue extends Error {
  readonly path: string
  readonly reason: string
  constructor(path: string, reason: string) {
    super(`field "${path}": ${reason}`)
    this.path = path
    this.reason = reason
  }
}

export function joinPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`
  const safe = /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key)
  if (safe !== key) return `${base}[${safe}]`
  return base === '' ? key : `${base}.${key}`
}

/** A short, safe description of an offending value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (value instanceof Date) return 'a Date'
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'object') return 'an object'
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return `${typeof value} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`
}

/**
 * The first TypeBox error of `value` as a FieldIssue under `base`. TypeBox paths are JSON pointers
 * (`/items/2/price`); walking the value along the pointer tells array indexes from map keys that look numeric.
 */
export function firstIssue(check: TypeCheck<any>, value: unknown, base: string): FieldIssue {
  const error = check.Errors(value).First()
  if (error === undefined) return new FieldIssue(base, 'invalid value')
  let path = base
  let node: unknown = value
  for (const raw of error.path.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node)) {
      path = joinPath(path, Number(segment))
      node = node[Number(segment)]
    } else {
      path = joinPath(path, segment)
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined
    }
  }
  const reason =
    error.value === undefined ? 'missing required field' : `${error.message}, got ${describeValue(error.value)}`
  return new FieldIssue(path, reason)
}

/** Turns an internal FieldIssue into the public error; anything else passes through unchanged. */
export function toPublicError(error: unknown, namespace: string, origin?: MessageOrigin): unknown {
  if (!(error instanceof FieldIssue)) return error
  return new ValidationError(error.path || '(record)', `${error.reason} (record ${namespace})`, origin, {
    details: { namespace, reason: error.reason },
  })
}

/** `(topic t, partition p, offset o)`, the suffix errors.ts gives decode and validation errors. */
export function originText(origin: MessageOrigin | undefined): string {
  if (!origin || origin.topic === undefined) return ''
  return ` (topic ${origin.topic}, partition ${origin.partition ?? '?'}, offset ${origin.offset ?? '?'})`
}

export function definitionError(message: string): FaustusError {
  return new FaustusError('FST_APP_DEFINITION', message)
}
