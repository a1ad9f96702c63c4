import { describe, expect, test } from 'vitest'
import { FaustusError } from '../../src/errors.ts'
import { float, int, list, RecordRegistry, record, serializerFor, str } from '../../src/models/index.ts'

const origin = { topic: 'payments', partition: 3, offset: 42 }
const bytes = (text: string) => Buffer.from(text)

// Faust's `ns` decides the class: a topic of Base carries any registered record, sub-records included.
const Payment = record('bank.Payment', { id: str(), amount: float() })
const Card = Payment.extend('bank.CardPayment', { last4: str() })
const Refund = record('bank.Refund', { id: str(), reason: str() })
const Batch = record('bank.Batch', { payments: list(Payment), first: Payment })

describe('decoding picks the class by __faust.ns', () => {
  const serializer = serializerFor(Payment)

  test('the declared record', () => {
    const value = serializer.decode(bytes('{"id":"p1","amount":5.0,"__faust":{"ns":"bank.Payment"}}'), origin)
    expect(value).toBeInstanceOf(Payment)
    expect(value.constructor).toBe(Payment)
  })

  test('a sub-record on a topic of the base record', () => {
    const value = serializer.decode(
      bytes('{"id":"p2","amount":5.0,"last4":"4242","__faust":{"ns":"bank.CardPayment"}}'),
    )
    expect(value).toBeInstanceOf(Card)
    expect(value).toBeInstanceOf(Payment)
    expect((value as InstanceType<typeof Card>).last4).toBe('4242')
  })

  test('any other registered record', () => {
    const value = serializer.decode(bytes('{"id":"r1","reason":"dup","__faust":{"ns":"bank.Refund"}}'))
    expect(value).toBeInstanceOf(Refund)
  })

  test('no __faust (or a malformed one, as Faust ignores it): the declared record', () => {
    expect(serializer.decode(bytes('{"id":"p3","amount":1}'))).toBeInstanceOf(Payment)
    expect(serializer.decode(bytes('{"id":"p3","amount":1,"__faust":null}'))).toBeInstanceOf(Payment)
    expect(serializer.decode(bytes('{"id":"p3","amount":1,"__faust":{"ns":7}}'))).toBeInstanceOf(Payment)
  })

  test('an unknown namespace is FST_NAMESPACE_UNKNOWN naming it and the origin', () => {
    const decode = () => serializer.decode(bytes('{"id":"x","__faust":{"ns":"bank.Nope"}}'), origin)
    expect(decode).toThrow(FaustusError)
    expect(decode).toThrow(expect.objectContaining({ code: 'FST_NAMESPACE_UNKNOWN' }))
    expect(decode).toThrow(/"bank\.Nope".*topic payments, partition 3, offset 42/)
  })

  test('the picked class validates with its own fields', () => {
    const decode = () => serializer.decode(bytes('{"id":"p","amount":1,"__faust":{"ns":"bank.CardPayment"}}'), origin)
    expect(decode).toThrow(expect.objectContaining({ code: 'FST_VALIDATION', field: 'last4' }))
  })

  test('fromJSON dispatches the same way', () => {
    expect(Payment.fromJSON({ id: 'a', amount: 1, last4: '1', __faust: { ns: 'bank.CardPayment' } })).toBeInstanceOf(
      Card,
    )
  })
})

describe('nested records', () => {
  test('a nested sub-record keeps its class; a nested unrelated ns is read as the declared type', () => {
    const batch = Batch.fromJSON({
      payments: [
        { id: 'a', amount: 1, last4: '1111', __faust: { ns: 'bank.CardPayment' } },
        { id: 'b', amount: 2, __faust: { ns: 'bank.Refund' } },
      ],
      first: { id: 'c', amount: 3 },
    })
    expect(batch.payments[0]).toBeInstanceOf(Card)
    expect(batch.payments[1].constructor).toBe(Payment)
    expect(batch.first).toBeInstanceOf(Payment)
  })

  test('a sub-record instance may be given where the base is declared, and writes its own ns', () => {
    const card = new Card({ id: 'a', amount: 1, last4: '1111' })
    const batch = new Batch({ payments: [card], first: card })
    expect(batch.payments[0]).toBe(card)
    const text = serializerFor(Batch).encode(batch)!.toString()
    expect(text).toContain('{"id":"a","amount":1.0,"last4":"1111","__faust":{"ns":"bank.CardPayment"}}')
  })

  test('a nested sub-record failing its own fields names the full path', () => {
    const decode = () =>
      Batch.fromJSON({
        payments: [{ id: 'a', amount: 1, __faust: { ns: 'bank.CardPayment' } }],
        first: { id: 'c', amount: 3 },
      })
    expect(decode).toThrow(expect.objectContaining({ field: 'payments[0].last4' }))
  })
})

describe('topics without a record type', () => {
  test('a payload with a registered ns becomes that record, as Faust autodetects', () => {
    const value = serializerFor(undefined, 'json').decode(
      bytes('{"id":"r","reason":"x","__faust":{"ns":"bank.Refund"}}'),
    )
    expect(value).toBeInstanceOf(Refund)
  })

  test('an unknown ns or plain data stays as it is; reconstruction can be turned off', () => {
    const untyped = serializerFor(undefined, 'json')
    expect(untyped.decode(bytes('{"a":1,"__faust":{"ns":"who.Knows"}}'))).toEqual({
      a: 1,
      __faust: { ns: 'who.Knows' },
    })
    expect(untyped.decode(bytes('[1,2]'))).toEqual([1, 2])
    const plain = serializerFor(undefined, 'json', { reconstruct: false })
    expect(plain.decode(bytes('{"id":"r","reason":"x","__faust":{"ns":"bank.Refund"}}'))).not.toBeInstanceOf(Refund)
  })

  test('a custom registry is used for lookups', () => {
    const registry = new RecordRegistry()
    const Local = record('local.Thing', { n: int() }, { registry })
    expect(
      serializerFor(undefined, 'json', { records: registry }).decode(bytes('{"n":1,"__faust":{"ns":"local.Thing"}}')),
    ).toBeInstanceOf(Local)
    expect(serializerFor(undefined, 'json').decode(bytes('{"n":1,"__faust":{"ns":"local.Thing"}}'))).not.toBeInstanceOf(
      Local,
    )
    // A record's own registry resolves namespaces for topics typed with it.
    expect(() => serializerFor(Local).decode(bytes('{"id":"r","reason":"x","__faust":{"ns":"bank.Refund"}}'))).toThrow(
      expect.objectContaining({ code: 'FST_NAMESPACE_UNKNOWN' }),
    )
  })
})
