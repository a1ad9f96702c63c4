import type { Serde, TypeArg } from '../channels/serde.ts'
import { reconstruct } from '../models/decode.ts'
import { json, records, serializerFor } from '../models/index.ts'

/**
 * A topic's key or value serializer; without a type, the app's `keySerializer` / `valueSerializer` settings
 * (Faust's key_serializer / value_serializer: raw keys, JSON values by default).
 */
export function serdeFor(
  type: TypeArg,
  role: 'key' | 'value',
  defaults: { keySerializer: string; valueSerializer: string } = { keySerializer: 'raw', valueSerializer: 'json' },
): Serde {
  const fallback = role === 'key' ? defaults.keySerializer : defaults.valueSerializer
  return serializerFor(type as string | undefined, fallback) as Serde
}

/** JSON text of an agent result, for a reply envelope (records as Faust writes them). */
export function encodeJsonText(value: unknown): string {
  return json.encode(value === undefined ? null : value).toString('utf8')
}

/** A reply's value back into records where its `__faust.ns` is registered. */
export function decodeJsonValue(value: unknown): unknown {
  return reconstruct(value, records)
}
