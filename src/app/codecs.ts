import type { Serde, TypeArg } from '../channels/serde.ts'
import { reconstruct } from '../models/decode.ts'
import { json, records, serializerFor } from '../models/index.ts'

/** A topic's key or value serializer, with Faust's defaults (keys raw, values JSON). */
export function serdeFor(type: TypeArg, role: 'key' | 'value'): Serde {
  return serializerFor(type as string | undefined, role === 'key' ? 'raw' : 'json') as Serde
}

/** JSON text of an agent result, for a reply envelope (records as Faust writes them). */
export function encodeJsonText(value: unknown): string {
  return json.encode(value === undefined ? null : value).toString('utf8')
}

/** A reply's value back into records where its `__faust.ns` is registered. */
export function decodeJsonValue(value: unknown): unknown {
  return reconstruct(value, records)
}
