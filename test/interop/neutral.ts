/**
 * The neutral form of test/interop/vectors/records.json, as test/interop/py/records.py writes it: a record is its
 * fields plus `__ns`; floats are `{float: <Python repr>}`, datetimes `{datetime: <UTC ISO>}`, decimals
 * `{decimal: <text>}`. Here it becomes Faustus values: record instances (by namespace), numbers, Dates, strings.
 */
import { records } from '../../src/index.ts'

type Neutral = null | boolean | number | string | Neutral[] | { [key: string]: Neutral }

export function fromNeutral(value: Neutral): unknown {
  if (Array.isArray(value)) return value.map(fromNeutral)
  if (value === null || typeof value !== 'object') return value
  const keys = Object.keys(value)
  if (keys.length === 1) {
    if (typeof value.float === 'string') return Number(value.float)
    if (typeof value.datetime === 'string') return new Date(value.datetime)
    if (typeof value.decimal === 'string') return value.decimal
  }
  const out: Record<string, unknown> = {}
  for (const key of keys) if (key !== '__ns') out[key] = fromNeutral(value[key])
  if (typeof value.__ns !== 'string') return out
  const cls = records.get(value.__ns)
  if (cls === undefined) throw new Error(`no Faustus record for namespace ${value.__ns}`)
  return new cls(out as never)
}

export interface RecordVector {
  name: string
  model: string
  direction: 'both' | 'py'
  wire: string
  fields: Neutral
}
