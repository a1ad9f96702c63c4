import { DecodeError, type MessageOrigin } from '../errors.ts'
import { json } from '../models/codec.ts'
import { pyFloat, rawJSON } from '../models/pyjson.ts'
import type { TableKeys } from './keys.ts'
import type { Window, WindowRange } from './windows.ts'

/**
 * `[key, [start, end]]` as Faust writes it: the key in the table key type's JSON form (a raw topic's Buffer key as
 * its text, a record as its fields), seconds as Python floats (`60.0`, `119.9`).
 */
export function encodeWindowKey(keys: TableKeys, key: unknown, range: WindowRange): Buffer {
  return json.encode([keys.jsonPart(key), [rawJSON(pyFloat(range.key[0])), rawJSON(pyFloat(range.key[1]))]])
}

/** The key and window of a windowed key; the key decoded by `keys` when given (else left as JSON). */
export function decodeWindowKey(
  bytes: Buffer,
  window: Window,
  keys?: TableKeys,
  origin?: MessageOrigin,
): [unknown, WindowRange] {
  let decoded: [unknown, [number, number]]
  try {
    decoded = JSON.parse(bytes.toString('utf8'))
  } catch (cause) {
    throw new DecodeError(`not a windowed key: ${bytes.toString('utf8').slice(0, 80)}`, origin, { cause })
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    !Array.isArray(decoded[1]) ||
    typeof decoded[1][0] !== 'number'
  ) {
    throw new DecodeError(`not a windowed key: ${bytes.toString('utf8').slice(0, 80)}`, origin)
  }
  return [keys === undefined ? decoded[0] : keys.fromJsonPart(decoded[0], origin), window.fromKey(decoded[1])]
}
