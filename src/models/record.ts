/**
 * `record(namespace, fields)`: a class per record type, as Faust's `Record` subclasses. Instances hold the fields
 * as own properties in declaration order; the shared behaviour sits on one base class and the per-record facts
 * (compiled checkers, writers) on a RecordDef stored on the class.
 */
import type { MessageOrigin } from '../errors.ts'
import type { Codec } from './codec.ts'
import { decodeRecord } from './decode.ts'
import { DEF, defOf, RecordDef } from './definition.ts'
import { definitionError, toPublicError } from './issues.ts'
import { asField } from './nested.ts'
import { WRITE_JSON } from './pyjson.ts'
import { records } from './registry.ts'
import type { AnyField, AnyRecordClass, FieldRef, RecordClass, RecordOptions, RecordWire, Shape } from './types.ts'

type Data = Record<string, unknown>

// Names an instance or the wire form already uses.
const RESERVED = new Set(['__faust', '__proto__', 'constructor', 'prototype', 'toJSON', 'asDict'])

function defOfInstance(instance: object): RecordDef {
  return defOf(instance.constructor as AnyRecordClass)
}

/** What every record class inherits. Not exported: records are made by `record()` and `extend()`. */
class RecordBase {
  constructor(init: unknown) {
    const def = defOf(new.target as unknown as AnyRecordClass)
    try {
      def.init(this as unknown as Data, init, '')
    } catch (error) {
      throw toPublicError(error, def.namespace)
    }
  }

  toJSON(): RecordWire {
    return defOfInstance(this).toWire(this as unknown as Data)
  }

  asDict(): Data {
    return defOfInstance(this).asDict(this as unknown as Data)
  }

  [WRITE_JSON](): string {
    return defOfInstance(this).write(this as unknown as Data)
  }
}

function shortNameOf(namespace: string): string {
  return namespace.slice(namespace.lastIndexOf('.') + 1)
}

function defineRecord(
  namespace: string,
  more: Shape,
  options: RecordOptions,
  parent: AnyRecordClass | undefined,
): AnyRecordClass {
  if (typeof namespace !== 'string' || namespace === '') throw definitionError('a record needs a namespace')
  const shape: Data = { ...parent?.shape }
  const fields = new Map<string, AnyField>(parent ? defOf(parent).slots.map((s) => [s.name, s.field]) : [])
  for (const [name, spec] of Object.entries(more)) {
    if (RESERVED.has(name)) throw definitionError(`record ${namespace}: "${name}" cannot be a field name`)
    // A redefined field keeps its position, as in a Python subclass.
    shape[name] = spec
    fields.set(name, asField(spec))
  }
  const def = new RecordDef(namespace, fields, parent?.namespace)
  const shortName = shortNameOf(namespace)
  const Base = (parent ?? RecordBase) as typeof RecordBase
  const cls = class extends Base {}
  const recordClass = cls as unknown as AnyRecordClass
  const registry = options.registry ?? parent?.registry ?? records
  const serializer: string | Codec | undefined = options.serializer ?? parent?.serializer
  const refs: Record<string, FieldRef> = {}
  for (const [name, field] of fields) {
    refs[name] = Object.freeze({
      record: recordClass,
      name,
      qualifiedName: `${shortName}.${name}`,
      field,
    })
  }
  const constant = (value: unknown) => ({ value, enumerable: false, writable: false, configurable: false })
  Object.defineProperties(cls, {
    name: { value: shortName, configurable: true },
    [DEF]: constant(def),
    namespace: constant(namespace),
    shortName: constant(shortName),
    shape: constant(Object.freeze(shape)),
    fields: constant(Object.freeze(refs)),
    schema: constant(def.schema),
    registry: constant(registry),
    serializer: constant(serializer),
    // Bound to the class rather than using `this`, so `const { fromJSON } = Add` works too.
    fromJSON: constant((data: unknown, origin?: MessageOrigin) => decodeRecord(recordClass, data, origin)),
    extend: constant((ns: string, extra: Shape, opts?: RecordOptions) =>
      defineRecord(ns, extra, opts ?? {}, recordClass),
    ),
  })
  def.bind(recordClass)
  registry.register(recordClass)
  return recordClass
}

/**
 * Declares a record type. `namespace` is Faust's `ns` (by Faust's convention `module.ClassName`); a topic typed
 * with this record decodes any payload whose `__faust.ns` names a registered record.
 *
 *   const Add = record('examples.agent.Add', { a: int(), b: int() })
 *   type Add = InstanceType<typeof Add>
 */
export function record<S extends Shape>(namespace: string, fields: S, options: RecordOptions = {}): RecordClass<S> {
  return defineRecord(namespace, fields, options, undefined) as RecordClass<S>
}
