/**
 * JSON text exactly as Python Faust writes it (faust-streaming 0.15: `json.dumps(obj, separators=(",", ":"))`,
 * checked against the real package): compact like JSON.stringify, but with `ensure_ascii` (everything outside
 * printable ASCII as `\uXXXX`, astral characters as surrogate pairs), floats in Python's `repr` form (`60.0`,
 * `1e+16`, `1e-05`) and datetimes as `isoformat()` with `Z`. Byte equality matters beyond looks: JSON keys choose
 * the partition (murmur2 of the bytes) and the compaction slot of changelog topics.
 *
 * Writers here return text that may still hold non-ASCII characters; `toAscii` runs once on the whole output.
 */

/** Writes one value of a known shape; records compile one per field. */
export type Writer<V = any> = (value: V) => string

/** Objects that write their own JSON text (record instances), faster than JSON.stringify of their toJSON(). */
export const WRITE_JSON: unique symbol = Symbol.for('faustus.writeJson')

interface SelfWriting {
  [WRITE_JSON](): string
}

const JSON_RAW = JSON as unknown as { rawJSON(text: string): object; isRawJSON(value: unknown): boolean }

/** Node 22's JSON.rawJSON: a value JSON.stringify writes as the given text. */
export const rawJSON: (text: string) => object = JSON_RAW.rawJSON

// Python escapes every character outside space..tilde; JSON.stringify already escapes the control characters.
const NON_ASCII = /[\u007f-\uffff]/
const NON_ASCII_ALL = /[\u007f-\uffff]/g

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`
}

/** `ensure_ascii` over finished JSON text (non-ASCII can only be inside strings, so escaping all of it is safe). */
export function toAscii(text: string): string {
  return NON_ASCII.test(text) ? text.replace(NON_ASCII_ALL, escapeChar) : text
}

/** A string as a JSON string literal with `ensure_ascii`. */
export function pyString(value: string): string {
  return toAscii(JSON.stringify(value))
}

/**
 * A float as Python's `repr`: the same shortest round-trip digits as JavaScript, but fixed notation only for
 * 1e-4 <= |x| < 1e16, always a fraction or exponent, and at least two exponent digits.
 */
export function pyFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity'
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0'
  const abs = Math.abs(value)
  if (abs >= 1e-4 && abs < 1e16) {
    const text = String(value)
    return text.includes('.') ? text : `${text}.0`
  }
  const text = value.toExponential()
  const e = text.indexOf('e')
  const digits = text.slice(e + 2)
  return `${text.slice(0, e + 2)}${digits.length < 2 ? `0${digits}` : digits}`
}

/** True when JavaScript writes this float differently from Python (integral, tiny or huge values). */
export function floatDiffers(value: number): boolean {
  const abs = Math.abs(value)
  return Number.isInteger(value) || abs < 1e-4 || abs >= 1e16
}

/** A number whose declared type is unknown: integral values as ints (as JSON.parse hands them to us), else repr. */
function pyNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return String(value)
  // JSON has no NaN/Infinity; Python would write them but JSON.parse could not read them back.
  if (!Number.isFinite(value)) return 'null'
  return pyFloat(value)
}

/** A Date as Python's `datetime.isoformat()` of an aware UTC datetime, `+00:00` written `Z` (as Faust does). */
export function pyDate(value: Date): string {
  const iso = value.toISOString()
  // toISOString has milliseconds; Python prints microseconds, and none at all when they are zero.
  return value.getUTCMilliseconds() === 0 ? `${iso.slice(0, 19)}Z` : `${iso.slice(0, 23)}000Z`
}

export function writeList<V>(item: Writer<V>): Writer<readonly V[]> {
  return (values) => {
    if (values.length === 0) return '[]'
    let out = `[${item(values[0])}`
    for (let i = 1; i < values.length; i++) out += `,${item(values[i])}`
    return `${out}]`
  }
}

export function writeMap<V>(item: Writer<V>): Writer<Readonly<Record<string, V>>> {
  return (values) => {
    let out = ''
    for (const key in values) {
      const value = values[key]
      // JSON.stringify drops these from objects; so do we.
      if (value === undefined || typeof value === 'function' || typeof value === 'symbol') continue
      out += `${out === '' ? '' : ','}${JSON.stringify(key)}:${item(value)}`
    }
    return `{${out}}`
  }
}

/**
 * Where JSON.stringify's text may differ from Python's: a non-integral number below 1e-4 (fixed `0.0000…` or an
 * exponent `…e-7`) or a Date's `.mmmZ`. A match inside a string only costs the exact, slower writer.
 */
const MAY_DIFFER = /\de-|0\.0000|\d\.\d{3}Z"/

/** Any JSON-able value as Python would write the same data: JSON.stringify, unless its text may differ. */
export function jsonText(value: unknown): string {
  if (value !== null && typeof value === 'object' && WRITE_JSON in value) return (value as SelfWriting)[WRITE_JSON]()
  const text = JSON.stringify(value) as string | undefined
  if (text === undefined) return 'null'
  return MAY_DIFFER.test(text) ? pyDumps(value) : text
}

/** The exact writer behind `jsonText`: JSON.stringify's semantics with Python's numbers and dates. */
export function pyDumps(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return pyNumber(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      return value === null ? 'null' : writeObject(value)
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt')
    default:
      // undefined, functions and symbols: dropped in objects (writeMap), null in arrays, as JSON.stringify.
      return 'null'
  }
}

const dumpList = writeList(pyDumps)
const dumpMap = writeMap(pyDumps)

function writeObject(value: object): string {
  if (WRITE_JSON in value) return (value as SelfWriting)[WRITE_JSON]()
  if (Array.isArray(value)) return dumpList(value)
  if (value instanceof Date) return `"${pyDate(value)}"`
  if (JSON_RAW.isRawJSON(value)) return (value as { rawJSON: string }).rawJSON
  const toJSON = (value as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') return pyDumps(toJSON.call(value))
  return dumpMap(value as Record<string, unknown>)
}
