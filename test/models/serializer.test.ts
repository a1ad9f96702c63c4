import { describe, expect, test } from 'vitest'
import { DecodeError, FaustusError, ValidationError } from '../../src/errors.ts'
import {
  type Codec,
  DEFAULT_KEY_CODEC,
  DEFAULT_VALUE_CODEC,
  date,
  float,
  int,
  json,
  list,
  record,
  registerCodec,
  serializerFor,
  str,
} from '../../src/models/index.ts'

const origin = { topic: 'orders', partition: 2, offset: 1234 }
const located = /topic orders, partition 2, offset 1234/
const Line = record('shop.Line', { sku: str(), price: float() })
const Order = record('shop.Order', { id: int(), items: list(Line) })

function thrown(fn: () => unknown): FaustusError {
  try {
    fn()
  } catch (error) {
    expect(error).toBeInstanceOf(FaustusError)
    return error as FaustusError
  }
  throw new Error('expected an error')
}

describe('record serializers', () => {
  const serializer = serializerFor(Order, DEFAULT_VALUE_CODEC)

  test('encode an instance, or a plain object after checking it', () => {
    const expected =
      '{"id":1,"items":[{"sku":"a","price":2.0,"__faust":{"ns":"shop.Line"}}],"__faust":{"ns":"shop.Order"}}'
    expect(serializer.encode(new Order({ id: 1, items: [{ sku: 'a', price: 2 }] }))!.toString()).toBe(expected)
    expect(serializer.encode({ id: 1, items: [{ sku: 'a', price: 2 }] })!.toString()).toBe(expected)
  })

  test('encoding a bad plain object is a ValidationError naming the field', () => {
    const error = thrown(() => serializer.encode({ id: 1, items: [{ sku: 'a', price: 'x' as never }] }))
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as ValidationError).field).toBe('items[0].price')
  })

  test('null and undefined encode to null; a Buffer is sent as it is', () => {
    expect(serializer.encode(null)).toBeNull()
    expect(serializer.encode(undefined)).toBeNull()
    const bytes = Buffer.from('pre-encoded')
    expect(serializer.encode(bytes)).toBe(bytes)
  })

  test('a null payload (tombstone) decodes to null', () => {
    expect(serializer.decode(null, origin)).toBeNull()
  })

  test('decode checks and builds instances', () => {
    const order = serializer.decode(Buffer.from('{"id":1,"items":[{"sku":"a","price":2.0}]}'), origin)
    expect(order).toBeInstanceOf(Order)
    expect(order.items[0]).toBeInstanceOf(Line)
    expect(serializer.recordType).toBe(Order)
    expect(serializer.codec).toBe(json)
  })

  test('bad JSON is a DecodeError with topic, partition and offset', () => {
    const error = thrown(() => serializer.decode(Buffer.from('{"id":1,'), origin))
    expect(error).toBeInstanceOf(DecodeError)
    expect(error.code).toBe('FST_DECODE')
    expect(error.message).toMatch(located)
    expect(error.message).toContain('codec json')
    expect(error.details).toMatchObject(origin)
    expect(error.cause).toBeInstanceOf(SyntaxError)
  })

  test('JSON that is not an object is a DecodeError with the origin', () => {
    const error = thrown(() => serializer.decode(Buffer.from('[1]'), origin))
    expect(error.code).toBe('FST_DECODE')
    expect(error.message).toMatch(located)
    expect(error.message).toContain('shop.Order')
  })

  test('a validation failure names the field path and the origin', () => {
    const error = thrown(() =>
      serializer.decode(Buffer.from('{"id":1,"items":[{"sku":"a","price":1},{"sku":"b"}]}'), origin),
    )
    expect(error).toBeInstanceOf(ValidationError)
    expect(error.code).toBe('FST_VALIDATION')
    expect((error as ValidationError).field).toBe('items[1].price')
    expect(error.message).toContain('field "items[1].price"')
    expect(error.message).toMatch(located)
    expect(error.details).toMatchObject({ ...origin, field: 'items[1].price', namespace: 'shop.Order' })
  })

  test('an invalid date string names the field and the origin', () => {
    const At = record('t.At', { at: date() })
    const decode = (text: string) => thrown(() => serializerFor(At).decode(Buffer.from(text), origin))
    const bad = decode('{"at":"2024-13-45T00:00:00Z"}')
    expect(bad.code).toBe('FST_VALIDATION')
    expect((bad as ValidationError).field).toBe('at')
    expect(bad.message).toMatch(located)
    expect((decode('{"at":"yesterday"}') as ValidationError).field).toBe('at')
  })

  test('a record key on a raw key topic is written as JSON (raw cannot carry a record)', () => {
    const keys = serializerFor(Line, DEFAULT_KEY_CODEC)
    expect(keys.codec.name).toBe('json')
    expect(keys.encode(new Line({ sku: 'a', price: 1 }))!.toString()).toBe(
      '{"sku":"a","price":1.0,"__faust":{"ns":"shop.Line"}}',
    )
  })

  test("a record's own serializer option wins over the topic's", () => {
    const Boxed = record('t.Boxed', { n: int() }, { serializer: 'json|binary' })
    const serializer = serializerFor(Boxed, 'json')
    const payload = serializer.encode(new Boxed({ n: 1 }))!
    expect(Buffer.from(payload.toString(), 'base64').toString()).toBe('{"n":1,"__faust":{"ns":"t.Boxed"}}')
    expect(serializer.decode(payload).n).toBe(1)
  })

  test('a codec that does not take records is given the wire object', () => {
    const seen: unknown[] = []
    const spy: Codec = {
      name: 'spy',
      encode: (value) => {
        seen.push(value)
        return Buffer.from(JSON.stringify(value))
      },
      decode: (payload) => JSON.parse(payload.toString()),
    }
    registerCodec('spy', spy)
    const serializer = serializerFor(Line, 'spy')
    serializer.encode(new Line({ sku: 'a', price: 1.5 }))
    expect(seen[0]).toEqual({ sku: 'a', price: 1.5, __faust: { ns: 'shop.Line' } })
    expect(serializer.decode(Buffer.from('{"sku":"a","price":1.5}'))).toBeInstanceOf(Line)
  })
})

describe('codec serializers', () => {
  test('undefined type uses the default codec: raw for keys, json for values', () => {
    const keys = serializerFor(undefined, DEFAULT_KEY_CODEC)
    const values = serializerFor(undefined)
    expect(keys.codec.name).toBe('raw')
    expect(values.codec.name).toBe('json')
    expect(keys.encode('user-1')).toEqual(Buffer.from('user-1'))
    expect(keys.decode(Buffer.from('user-1'))).toEqual(Buffer.from('user-1'))
    expect(values.encode({ n: 1 })!.toString()).toBe('{"n":1}')
    expect(values.decode(Buffer.from('{"n":1}'))).toEqual({ n: 1 })
  })

  test('a codec name or object as the type', () => {
    expect(serializerFor('binary', 'json').encode('hi')!.toString()).toBe('aGk=')
    expect(serializerFor(json, 'raw').codec).toBe(json)
  })

  test('tombstones and Buffers, whatever the codec', () => {
    const serializer = serializerFor('json|binary')
    expect(serializer.encode(null)).toBeNull()
    expect(serializer.decode(null)).toBeNull()
    const bytes = Buffer.from('x')
    expect(serializer.encode(bytes)).toBe(bytes)
  })

  test('an unknown codec name is FST_CODEC_UNKNOWN at construction', () => {
    expect(() => serializerFor('nope')).toThrow(expect.objectContaining({ code: 'FST_CODEC_UNKNOWN' }))
    expect(() => serializerFor(Line, 'nope')).toThrow(expect.objectContaining({ code: 'FST_CODEC_UNKNOWN' }))
  })

  test('bad bytes for the codec are a DecodeError with the origin', () => {
    const error = thrown(() => serializerFor(undefined, 'json').decode(Buffer.from('not json'), origin))
    expect(error.code).toBe('FST_DECODE')
    expect(error.message).toMatch(located)
  })

  test('a value the codec cannot write is FST_ENCODE', () => {
    expect(thrown(() => serializerFor(undefined, 'raw').encode(42)).code).toBe('FST_ENCODE')
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const error = thrown(() => serializerFor(undefined, 'json').encode(cyclic))
    expect(error.code).toBe('FST_ENCODE')
    expect(error.message).toContain('codec json')
    expect(thrown(() => serializerFor(undefined, 'json').encode({ big: 1n })).code).toBe('FST_ENCODE')
  })

  test('errors thrown by a user codec are wrapped with the origin', () => {
    registerCodec('broken', {
      name: 'broken',
      encode: () => {
        throw new Error('boom')
      },
      decode: () => {
        throw new Error('bang')
      },
    })
    const serializer = serializerFor('broken')
    expect(thrown(() => serializer.encode(1)).message).toContain('boom')
    const error = thrown(() => serializer.decode(Buffer.from('x'), origin))
    expect(error.code).toBe('FST_DECODE')
    expect(error.message).toContain('bang')
    expect(error.message).toMatch(located)
  })
})
