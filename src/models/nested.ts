/**
 * A record used as a field type (`{ inner: Inner }`, `list(Inner)`): the field that converts between nested
 * wire objects, plain constructor objects and instances.
 */
import { Type } from '@sinclair/typebox'
import { defOf, isRecordClass } from './definition.ts'
import { WRITE_JSON } from './pyjson.ts'
import type { AnyField, AnyRecordClass, Field, FieldSpec, SpecInit, SpecValue } from './types.ts'

type Instance = Record<string, unknown> & { [WRITE_JSON](): string; toJSON(): unknown }

const fieldCache = new WeakMap<AnyRecordClass, AnyField>()

/** A field spec as a field: record classes become nested-record fields. */
export function asField<F extends FieldSpec>(spec: F): Field<SpecValue<F>, SpecInit<F>, boolean> {
  if (!isRecordClass(spec)) return spec as AnyField
  let field = fieldCache.get(spec)
  if (field === undefined) fieldCache.set(spec, (field = recordField(spec)))
  return field
}

function recordField(cls: AnyRecordClass): AnyField {
  return {
    kind: `record ${cls.namespace}`,
    optional: false,
    schema: cls.schema,
    // A constructor gets an instance (checked when it was built) or a plain object (checked in `coerce`).
    initSchema: Type.Unknown(),
    coerce: (value, path) => (value instanceof cls ? value : defOf(cls).create(value, path)),
    decode: (wire, path) => {
      // Checked as part of the parent against this record's schema, unless `ns` names a sub-record.
      const ns = (wire as { __faust?: { ns?: unknown } }).__faust?.ns
      if (typeof ns === 'string' && ns !== cls.namespace) {
        const sub = cls.registry.get(ns)
        if (sub !== undefined && sub.prototype instanceof cls) return defOf(sub).decode(wire, path)
      }
      return defOf(cls).decodeChecked(wire as Record<string, unknown>, path)
    },
    toWire: (value: Instance) => value.toJSON(),
    write: (value: Instance) => value[WRITE_JSON](),
  }
}
