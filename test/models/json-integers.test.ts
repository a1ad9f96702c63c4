import { describe, expect, it } from 'vitest'
import { json } from '../../src/models/codec.ts'
import { jsonText } from '../../src/models/pyjson.ts'

describe('json codec, integers', () => {
  it('writes integers exactly as the general writer does (as Python Faust would)', () => {
    for (const value of [0, -0, 1, -1, 42, 2 ** 31, -(2 ** 53 - 1), 2 ** 53 - 1, 2 ** 53, 1e20, 1e21, 1.5, -2.5e-7]) {
      expect(json.encode(value).toString('latin1')).toBe(jsonText(value))
    }
    expect(json.encode(-0).toString()).toBe('0')
    expect(json.encode(1e21).toString()).toBe('1e+21')
  })
})
