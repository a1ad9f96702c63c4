import { describe, expect, test } from 'vitest'
import { jsonText, pyDate, pyDumps, pyFloat, pyString, rawJSON, toAscii } from '../../src/models/pyjson.ts'

// Expected strings are Python 3's json.dumps output for the same values.
describe('pyFloat writes floats as Python repr', () => {
  test.each([
    [1, '1.0'],
    [60, '60.0'],
    [-60, '-60.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [0.5, '0.5'],
    [0.1, '0.1'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [1.5e16, '1.5e+16'],
    [1.2345678901234568e17, '1.2345678901234568e+17'],
    [1e21, '1e+21'],
    [1e22, '1e+22'],
    [1e100, '1e+100'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [5e-324, '5e-324'],
    [1e-4, '0.0001'],
    [1.5e-4, '0.00015'],
    [9.99e-5, '9.99e-05'],
    [1e-5, '1e-05'],
    [1e-7, '1e-07'],
    [1.5e-7, '1.5e-07'],
    [2.5e-10, '2.5e-10'],
    [2.5, '2.5'],
    [123.456, '123.456'],
    [9007199254740992, '9007199254740992.0'],
    [1234.5678, '1234.5678'],
    [9999999999999998, '9999999999999998.0'],
    [0.30000000000000004, '0.30000000000000004'],
    [1e-300, '1e-300'],
  ])('%d -> %s', (value, expected) => {
    expect(pyFloat(value)).toBe(expected)
  })

  test('non-finite values as Python writes them', () => {
    expect([pyFloat(Number.NaN), pyFloat(Infinity), pyFloat(-Infinity)]).toEqual(['NaN', 'Infinity', '-Infinity'])
  })
})

describe('pyString escapes as ensure_ascii', () => {
  test('non-ASCII, astral, separators, DEL and control characters', () => {
    expect(pyString('é😀\u2028\x7f\x00\x1f\t\n"\\/')).toBe(
      '"\\u00e9\\ud83d\\ude00\\u2028\\u007f\\u0000\\u001f\\t\\n\\"\\\\/"',
    )
  })

  test('a lone surrogate is escaped, not replaced', () => {
    expect(pyString('\udc00')).toBe('"\\udc00"')
  })

  test('plain ASCII is left as JSON.stringify writes it', () => {
    expect(pyString('hello world')).toBe('"hello world"')
  })
})

describe('pyDate writes isoformat with Z', () => {
  test('without milliseconds there is no fraction', () => {
    expect(pyDate(new Date('2024-01-02T03:04:05Z'))).toBe('2024-01-02T03:04:05Z')
  })

  test('milliseconds are written as microseconds', () => {
    expect(pyDate(new Date('2024-01-02T03:04:05.120Z'))).toBe('2024-01-02T03:04:05.120000Z')
  })
})

describe('jsonText writes any JSON value as Python json.dumps (compact, as Faust)', () => {
  const write = (value: unknown) => toAscii(jsonText(value))

  test('nesting, empty containers, null, booleans and escaped keys', () => {
    const value = { s: 'é', 'k\u00e9y': [1, { a: null, b: true }], e: [], o: {} }
    expect(write(value)).toBe('{"s":"\\u00e9","k\\u00e9y":[1,{"a":null,"b":true}],"e":[],"o":{}}')
  })

  test('integral numbers as ints, others as repr, tiny ones too', () => {
    expect(write([1, 60, 1.5, 1e-7, 0.00001, -3, 1e21])).toBe('[1,60,1.5,1e-07,1e-05,-3,1e+21]')
  })

  test('dates as isoformat with Z, also inside plain data', () => {
    expect(write({ at: new Date('2024-01-02T03:04:05Z') })).toBe('{"at":"2024-01-02T03:04:05Z"}')
    expect(write([new Date('2024-01-02T03:04:05.5Z')])).toBe('["2024-01-02T03:04:05.500000Z"]')
  })

  test('a string that only looks like a date or a tiny number is kept as it is', () => {
    const value = { a: '12:00:00.000Z"', b: '0.00001', c: 10.00001 }
    expect(write(value)).toBe(JSON.stringify(value))
  })

  test('JSON.stringify semantics otherwise: undefined, functions, toJSON, raw JSON', () => {
    expect(write({ a: undefined, b: () => 1, c: 1 })).toBe('{"c":1}')
    expect(write([undefined, 1e-5])).toBe('[null,1e-05]')
    expect(write({ t: { toJSON: () => 'custom' }, r: rawJSON('60.0'), x: 1e-9 })).toBe(
      '{"t":"custom","r":60.0,"x":1e-09}',
    )
    expect(write(undefined)).toBe('null')
  })

  test('pyDumps is the exact writer behind it', () => {
    expect(pyDumps({ a: [1e-5, 'é'], d: new Date(0) })).toBe('{"a":[1e-05,"é"],"d":"1970-01-01T00:00:00Z"}')
    expect(() => pyDumps(1n)).toThrow(TypeError)
  })
})
