import { describe, expect, test } from 'vitest'
import { FaustusError } from '../../src/errors.ts'
import {
  binary,
  type Codec,
  CodecRegistry,
  codecs,
  getCodec,
  json,
  raw,
  registerCodec,
} from '../../src/models/index.ts'

describe('built-in codecs', () => {
  test('raw passes bytes through and writes strings as UTF-8', () => {
    const bytes = Buffer.from([0, 255, 1])
    expect(raw.encode(bytes)).toBe(bytes)
    expect(raw.encode('é')).toEqual(Buffer.from([0xc3, 0xa9]))
    expect(raw.encode(new Uint8Array([1, 2]))).toEqual(Buffer.from([1, 2]))
    expect(raw.decode(bytes)).toBe(bytes)
  })

  test('raw refuses anything else with FST_ENCODE', () => {
    expect(() => raw.encode({ a: 1 })).toThrow(expect.objectContaining({ code: 'FST_ENCODE' }))
  })

  test('json writes compact ASCII JSON and parses UTF-8', () => {
    expect(json.encode({ a: 'é', b: [1, 2.5] }).toString('latin1')).toBe('{"a":"\\u00e9","b":[1,2.5]}')
    expect(json.encode('\x7f').toString('latin1')).toBe('"\\u007f"')
    expect(json.decode(Buffer.from('{"a":"é"}'))).toEqual({ a: 'é' })
  })

  test('binary is standard padded base64, as Python b64encode', () => {
    expect(binary.encode(Buffer.from('hello')).toString()).toBe('aGVsbG8=')
    expect(binary.encode('hello').toString()).toBe('aGVsbG8=')
    expect(binary.decode(Buffer.from('aGVsbG8='))).toEqual(Buffer.from('hello'))
  })
})

describe('composition by name', () => {
  test("'json|binary' encodes JSON then base64 (Faust's order), and decodes back", () => {
    const codec = getCodec('json|binary')
    expect(codec.name).toBe('json|binary')
    // Python: codecs.dumps('json|binary', {'a': 1}) == b'eyJhIjoxfQ=='
    expect(codec.encode({ a: 1 }).toString()).toBe('eyJhIjoxfQ==')
    expect(codec.decode(Buffer.from('eyJhIjoxfQ=='))).toEqual({ a: 1 })
  })

  test('a chain is built once per name', () => {
    expect(getCodec('json|binary')).toBe(getCodec('json|binary'))
  })

  test('an unknown name, alone or in a chain, is FST_CODEC_UNKNOWN', () => {
    expect(() => getCodec('nope')).toThrow(expect.objectContaining({ code: 'FST_CODEC_UNKNOWN' }))
    expect(() => getCodec('json|nope')).toThrow(/codec "nope" is not registered/)
  })

  test('a codec object is returned as it is', () => {
    expect(getCodec(json)).toBe(json)
  })
})

describe('user codecs', () => {
  const upper: Codec = {
    name: 'upper',
    encode: (value) => Buffer.from(String(value).toUpperCase()),
    decode: (payload) => payload.toString().toLowerCase(),
  }

  test('registerCodec adds to the default registry, usable in chains', () => {
    registerCodec('upper', upper)
    expect(codecs.has('upper')).toBe(true)
    expect(getCodec('upper|binary').encode('abc').toString()).toBe(Buffer.from('ABC').toString('base64'))
    expect(getCodec('upper|binary').decode(Buffer.from('QUJD'))).toBe('abc')
  })

  test('a separate registry does not see them, and rejects bad names', () => {
    const registry = new CodecRegistry()
    expect(registry.has('upper')).toBe(false)
    expect(registry.names()).toEqual(['raw', 'json', 'binary'])
    expect(() => registry.register('a|b', upper)).toThrow(FaustusError)
    expect(() => registry.register('', upper)).toThrow(expect.objectContaining({ code: 'FST_APP_DEFINITION' }))
  })

  test('re-registering a name changes the chains that use it', () => {
    const registry = new CodecRegistry()
    registry.register('x', upper)
    expect(registry.get('x|binary').encode('a').toString()).toBe('QQ==')
    registry.register('x', raw)
    expect(registry.get('x|binary').encode('a').toString()).toBe('YQ==')
  })
})

describe('json decode', () => {
  // The decoder takes plain strings and small integers without JSON.parse: it must agree with JSON.parse on
  // everything, refusals included.
  const agreeing = [
    '"word-1"',
    '""',
    '"é ü 中 😀"',
    '"a\\"b"',
    '"tab\\there"',
    '"\\u00e9"',
    '0',
    '7',
    '42',
    '999999999999999',
    '9007199254740993',
    '-1',
    '1.5',
    '1e3',
    'true',
    'null',
    '{"a":1}',
    '["x"]',
    ' "padded" ',
  ]
  test.each(agreeing)('%s decodes as JSON.parse does', (text) => {
    expect(json.decode(Buffer.from(text))).toStrictEqual(JSON.parse(text))
  })

  const refused = ['"raw\nnewline"', '"unterminated', '007', '12a', '', '"a"b"']
  test.each(refused)('%j is refused as JSON.parse refuses it', (text) => {
    expect(() => JSON.parse(text)).toThrow()
    expect(() => json.decode(Buffer.from(text))).toThrow()
  })
})
