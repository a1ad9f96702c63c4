/**
 * Codecs turn values into bytes and back, as Faust's (`faust/serializers/codecs.py`): `raw`, `json`, `binary`
 * (base64), and chains of them by name, `'json|binary'`.
 */
import { FaustusError } from '../errors.ts'
import { jsonText, toAscii } from './pyjson.ts'

export interface Codec {
  readonly name: string
  encode(value: unknown): Buffer
  decode(payload: Buffer): unknown
}

/**
 * Marks a codec whose encode takes record instances as they are (they write their own JSON); other codecs are
 * given `toJSON()`, the plain wire object.
 */
export const TAKES_RECORDS: unique symbol = Symbol.for('faustus.codecTakesRecords')

export function takesRecords(codec: Codec): boolean {
  return (codec as { [TAKES_RECORDS]?: boolean })[TAKES_RECORDS] === true
}

function encodeError(codec: string, value: unknown): FaustusError {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return new FaustusError('FST_ENCODE', `codec ${codec} cannot encode a value of type ${type}`, {
    details: { codec, type },
  })
}

function toBytes(codec: string, value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value
  if (typeof value === 'string') return Buffer.from(value, 'utf8')
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  throw encodeError(codec, value)
}

/** Bytes as they are; strings as UTF-8. Decodes to a Buffer. */
export const raw: Codec = {
  name: 'raw',
  encode: (value) => toBytes('raw', value),
  decode: (payload) => payload,
}

/**
 * JSON as Python Faust writes it (compact, non-ASCII escaped, floats of float fields as `60.0`), so keys hash and
 * compact the same whichever side wrote them.
 */
export const json: Codec & { readonly [TAKES_RECORDS]: true } = {
  name: 'json',
  [TAKES_RECORDS]: true,
  encode(value) {
    // Integers (table counters, mostly) are written the same by JSON and Python: skip the general writer's checks.
    if (typeof value === 'number' && Number.isSafeInteger(value)) return Buffer.from(String(value), 'latin1')
    const text = jsonText(value)
    const bytes = Buffer.from(text, 'utf8')
    // One byte per character means ASCII only (cheaper than a regex over the text); DEL is ASCII but Python
    // escapes it.
    if (bytes.length === text.length && !text.includes('\x7f')) return bytes
    return Buffer.from(toAscii(text), 'latin1')
  },
  decode: decodeJson,
}

/**
 * JSON.parse of the bytes, with the common short cases taken without the parser: a string with nothing to unescape
 * (a word as key or value) and a small integer (a counter), about 2.5x cheaper. Anything else, and anything the
 * parser would refuse (control characters, a leading zero), goes through JSON.parse.
 */
function decodeJson(payload: Buffer): unknown {
  const n = payload.length
  const first = payload[0]
  if (n >= 2 && first === 0x22 && payload[n - 1] === 0x22) {
    for (let i = 1; i < n - 1; i++) {
      const c = payload[i]
      if (c === 0x5c || c === 0x22 || c < 0x20) return JSON.parse(payload.toString('utf8'))
    }
    return payload.toString('utf8', 1, n - 1)
  }
  if (n > 0 && n < 16 && ((first >= 0x31 && first <= 0x39) || (n === 1 && first === 0x30))) {
    let value = 0
    for (let i = 0; i < n; i++) {
      const digit = payload[i] - 0x30
      if (digit < 0 || digit > 9) return JSON.parse(payload.toString('utf8'))
      value = value * 10 + digit
    }
    return value
  }
  return JSON.parse(payload.toString('utf8'))
}

/** Base64 (standard alphabet, padded), of bytes or of a string's UTF-8. Decodes to a Buffer. */
export const binary: Codec = {
  name: 'binary',
  encode: (value) => Buffer.from(toBytes('binary', value).toString('base64'), 'latin1'),
  decode: (payload) => Buffer.from(payload.toString('latin1'), 'base64'),
}

/**
 * Chains codecs as Faust's `a | b` does: encode runs them left to right, decode right to left. So `json|binary`
 * writes JSON and then base64 of it.
 */
export function composeCodecs(codecs: readonly Codec[], name = codecs.map((c) => c.name).join('|')): Codec {
  if (codecs.length === 1) return codecs[0]
  const reversed = [...codecs].reverse()
  const composed: Codec & { [TAKES_RECORDS]?: boolean } = {
    name,
    encode(value) {
      let out: unknown = value
      for (const codec of codecs) out = codec.encode(out)
      return out as Buffer
    },
    decode(payload) {
      let out: unknown = payload
      for (const codec of reversed) out = codec.decode(out as Buffer)
      return out
    },
  }
  if (takesRecords(codecs[0])) composed[TAKES_RECORDS] = true
  return composed
}
