/**
 * From a decoded JSON value to a record instance: pick the class by `__faust.ns` (Faust's "blessed key"), check,
 * build. Errors name the namespace, the field path and where the message came from.
 */
import { DecodeError, FaustusError, type MessageOrigin, originDetails } from '../errors.ts'
import { defOf } from './definition.ts'
import { describeValue, originText, toPublicError } from './issues.ts'
import type { RecordRegistry } from './registry.ts'
import type { AnyRecordClass, InstanceOf } from './types.ts'

/** `__faust.ns` of a JSON value, if it has a well-formed one (Faust ignores a malformed one, so do we). */
export function namespaceOf(data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return undefined
  const meta = (data as { __faust?: unknown }).__faust
  if (meta === null || typeof meta !== 'object') return undefined
  const ns = (meta as { ns?: unknown }).ns
  return typeof ns === 'string' ? ns : undefined
}

/**
 * The class to decode `data` as, for a topic declared with `declared`: the declared one, unless `ns` names
 * another registered record (a sub-record, or any record: Faust picks the class by `ns`).
 */
export function resolveRecordClass(declared: AnyRecordClass, data: unknown, origin?: MessageOrigin): AnyRecordClass {
  const ns = namespaceOf(data)
  if (ns === undefined || ns === declared.namespace) return declared
  const found = declared.registry.get(ns)
  if (found === undefined) {
    throw new FaustusError(
      'FST_NAMESPACE_UNKNOWN',
      `record namespace "${ns}" is not registered (decoding as ${declared.namespace})${originText(origin)}`,
      { details: { namespace: ns, expected: declared.namespace, ...originDetails(origin) } },
    )
  }
  return found
}

export function decodeRecord<R extends AnyRecordClass>(
  declared: R,
  data: unknown,
  origin?: MessageOrigin,
): InstanceOf<R> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new DecodeError(
      `expected a JSON object for record ${declared.namespace}, got ${describeValue(data)}`,
      origin,
      {
        details: { namespace: declared.namespace },
      },
    )
  }
  const cls = resolveRecordClass(declared, data, origin)
  try {
    return defOf(cls).decode(data, '') as InstanceOf<R>
  } catch (error) {
    throw toPublicError(error, cls.namespace, origin)
  }
}

/**
 * Faust's autodetection for topics without a record type: an object whose `ns` is registered becomes that
 * record; anything else stays as it is.
 */
export function reconstruct(data: unknown, registry: RecordRegistry, origin?: MessageOrigin): unknown {
  const ns = namespaceOf(data)
  if (ns === undefined || Array.isArray(data)) return data
  const cls = registry.get(ns)
  return cls === undefined ? data : decodeRecord(cls, data, origin)
}
