/**
 * Scalar field types. Each carries the TypeBox schema of its wire form and, where the in-memory value differs from
 * the JSON one (dates), the hooks between them.
 */
import { type TLiteralValue, type TSchema, Type } from '@sinclair/typebox'
import { FieldIssue } from './issues.ts'
import { floatDiffers, jsonText, pyDate, pyFloat, rawJSON, type Writer } from './pyjson.ts'
import type { Field } from './types.ts'

function scalar<V>(kind: string, schema: TSchema, write: Writer<V>): Field<V, V, false> {
  return { kind, optional: false, schema, initSchema: schema, write }
}

const writeBool: Writer<boolean> = (value) => (value ? 'true' : 'false')
const writeString: Writer<string> = (value) => JSON.stringify(value)

/** A whole number (Python `int`). */
export function int(): Field<number, number, false> {
  return scalar('int', Type.Integer(), String)
}

/**
 * A float, written as Python's repr (`60.0`, `1e+16`), so Python reads a float back. toJSON() gives such values as
 * JSON.rawJSON, so JSON.stringify of anything holding the record writes them right too.
 */
export function float(): Field<number, number, false> {
  return {
    ...scalar('float', Type.Number(), pyFloat),
    toWire: (value: number) => (floatDiffers(value) ? rawJSON(pyFloat(value)) : value),
  }
}

export function str(): Field<string, string, false> {
  return scalar('str', Type.String(), writeString)
}

export function bool(): Field<boolean, boolean, false> {
  return scalar('bool', Type.Boolean(), writeBool)
}

/** Any JSON value, unchecked; `T` is the type you promise it has. */
export function any<T = unknown>(): Field<T, T, false> {
  return scalar<T>('any', Type.Unknown(), jsonText)
}

/** One of the given constants. */
export function literal<const L extends readonly [TLiteralValue, ...TLiteralValue[]]>(
  ...values: L
): Field<L[number], L[number], false> {
  const schemas = values.map((value) => Type.Literal(value))
  return scalar<L[number]>('literal', schemas.length === 1 ? schemas[0] : Type.Union(schemas), jsonText)
}

// Python's Decimal as str(): digits with optional fraction and exponent (Faust rejects NaN and Infinity).
const DECIMAL_PATTERN = '^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)([eE][+-]?\\d+)?$'

/** Python's `Decimal`: a string on the wire, and kept as a string so no precision is lost. */
export function decimal(): Field<string, string, false> {
  const text = Type.String({ pattern: DECIMAL_PATTERN })
  return {
    kind: 'decimal',
    optional: false,
    // Other producers may write a JSON number; read it as its decimal text.
    schema: Type.Union([text, Type.Number()]),
    initSchema: text,
    decode: (wire) => (typeof wire === 'number' ? String(wire) : (wire as string)),
    write: writeString,
  }
}

// ISO 8601 as Python's isoformat() writes it (date only, or date and time with optional fraction and offset).
const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}([Tt ]\\d{2}:\\d{2}(:\\d{2}([.,]\\d+)?)?([Zz]|[+-]\\d{2}(:?\\d{2})?)?)?$'
const ZONE = /(?:[Zz]|([+-]\d{2}):?(\d{2})?)$/

/** Parses what DATE_PATTERN admits; a time without an offset is UTC (Faust's naive datetimes are). */
export function parseIsoDate(text: string, path: string): Date {
  let iso = text
  if (text.length > 10) {
    let time = text.slice(11).replace(',', '.')
    let zone = 'Z'
    const match = ZONE.exec(time)
    if (match !== null) {
      time = time.slice(0, match.index)
      if (match[1] !== undefined) zone = `${match[1]}:${match[2] ?? '00'}`
    }
    iso = `${text.slice(0, 10)}T${time}${zone}`
  }
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) throw new FieldIssue(path, `Expected an ISO 8601 date, got ${JSON.stringify(text)}`)
  return date
}

const writeDate: Writer<Date> = (value) => `"${pyDate(value)}"`

/** A point in time: a JS Date, on the wire an ISO 8601 string in UTC written with `Z`. */
export function date(): Field<Date, Date, false> {
  return {
    kind: 'date',
    optional: false,
    schema: Type.String({ pattern: DATE_PATTERN, description: 'ISO 8601 date-time' }),
    initSchema: Type.Date(),
    decode: (wire, path) => parseIsoDate(wire as string, path),
    toWire: pyDate,
    write: writeDate,
  }
}
