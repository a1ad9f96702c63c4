/**
 * Field types built from other field types: `list`, `map` and `optional`. Hooks are composed only when the inner
 * type has them, so `list(int())` is checked by the compiled schema and otherwise left alone.
 */
import { Type } from '@sinclair/typebox'
import { joinPath } from './issues.ts'
import { asField } from './nested.ts'
import { writeList, writeMap } from './pyjson.ts'
import type { Field, FieldSpec, SpecInit, SpecValue } from './types.ts'

type Hook = (value: unknown, path: string) => unknown

function overArray(hook: Hook | undefined): Hook | undefined {
  if (hook === undefined) return undefined
  return (value, path) => (value as unknown[]).map((item, i) => hook(item, joinPath(path, i)))
}

function overEntries(hook: Hook | undefined): Hook | undefined {
  if (hook === undefined) return undefined
  // fromEntries defines properties, so a "__proto__" key stays a key.
  return (value, path) =>
    Object.fromEntries(Object.entries(value as object).map(([key, item]) => [key, hook(item, joinPath(path, key))]))
}

function mapValues(hook: ((value: any) => unknown) | undefined): ((value: object) => any) | undefined {
  if (hook === undefined) return undefined
  return (value) => Object.fromEntries(Object.entries(value).map(([key, item]) => [key, hook(item)]))
}

/** A JSON array of `item`. */
export function list<F extends FieldSpec>(item: F): Field<SpecValue<F>[], SpecInit<F>[], false> {
  const inner = asField(item)
  const toWire = inner.toWire
  return {
    kind: `list<${inner.kind}>`,
    optional: false,
    schema: Type.Array(inner.schema),
    initSchema: Type.Array(inner.initSchema),
    decode: overArray(inner.decode) as Field<SpecValue<F>[]>['decode'],
    coerce: overArray(inner.coerce) as Field<SpecValue<F>[]>['coerce'],
    toWire: toWire && ((values) => values.map(toWire)),
    write: writeList(inner.write),
  }
}

/** A JSON object from strings to `item` (Python `Dict[str, T]`). */
export function map<F extends FieldSpec>(
  item: F,
): Field<Record<string, SpecValue<F>>, Record<string, SpecInit<F>>, false> {
  const inner = asField(item)
  return {
    kind: `map<${inner.kind}>`,
    optional: false,
    schema: Type.Record(Type.String(), inner.schema),
    initSchema: Type.Record(Type.String(), inner.initSchema),
    decode: overEntries(inner.decode) as Field<Record<string, SpecValue<F>>>['decode'],
    coerce: overEntries(inner.coerce) as Field<Record<string, SpecValue<F>>>['coerce'],
    toWire: mapValues(inner.toWire),
    write: writeMap(inner.write),
  }
}

export interface OptionalOptions<V> {
  /** Used when the field is absent or null, on construction and on decode. A function is called each time. */
  default: V | (() => V)
}

/** A field that may be absent or null: null in the instance, or the default when one is given. */
export function optional<F extends FieldSpec>(item: F): Field<SpecValue<F> | null, SpecInit<F> | null | undefined, true>
export function optional<F extends FieldSpec>(
  item: F,
  options: OptionalOptions<SpecValue<F>>,
): Field<SpecValue<F>, SpecInit<F> | null | undefined, true>
export function optional<F extends FieldSpec>(
  item: F,
  options?: OptionalOptions<SpecValue<F>>,
): Field<SpecValue<F> | null, SpecInit<F> | null | undefined, true> {
  const inner = asField(item)
  const fallback = options?.default
  // Use a function for mutable defaults (arrays, objects), or every instance shares one.
  const missing = typeof fallback === 'function' ? (fallback as () => SpecValue<F>) : () => fallback ?? null
  const decode = inner.decode
  const coerce = inner.coerce
  const toWire = inner.toWire
  return {
    kind: `optional<${inner.kind}>`,
    optional: true,
    schema: Type.Union([inner.schema, Type.Null()]),
    initSchema: Type.Union([inner.initSchema, Type.Null()]),
    decode: (value, path) => (value == null ? missing() : decode ? decode(value, path) : (value as SpecValue<F>)),
    coerce: (value, path) => (value == null ? missing() : coerce ? coerce(value, path) : (value as SpecValue<F>)),
    toWire: (value) => (value == null ? null : toWire ? toWire(value) : value),
    write: (value) => (value == null ? 'null' : inner.write(value)),
  }
}
