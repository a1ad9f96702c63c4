import { describe, expect, test } from 'vitest'
import { date, decimal, float, int, json, list, map, optional, record, str } from '../../src/models/index.ts'

// Expected bytes were produced by faust-streaming 0.15.3 (stdlib json, no orjson) for the same Python records:
//   class Add(faust.Record, namespace='examples.agent.Add'): a: int; b: int
//   print(Add(a=2, b=2).dumps(serializer='json').decode())
const Add = record('examples.agent.Add', { a: int(), b: int() })
const Item = record('shop.Item', { name: str(), price: float() })
const Order = record('shop.Order', {
  id: int(),
  items: list(Item),
  tags: map(int()),
  main: Item,
  note: optional(str()),
  qty: optional(int(), { default: 1 }),
})
const Ev = record('ev.Ev', { at: date(), amount: decimal(), temp: float() })

const encode = (value: unknown) => json.encode(value).toString('latin1')

describe('records are written byte for byte as Python Faust writes them', () => {
  test('a plain record: fields in order, then __faust', () => {
    expect(encode(new Add({ a: 2, b: 2 }))).toBe('{"a":2,"b":2,"__faust":{"ns":"examples.agent.Add"}}')
  })

  test('non-ASCII as \\u escapes (astral as a surrogate pair) and an integral float as 60.0', () => {
    expect(encode(new Item({ name: 'Crème brûlée 😀', price: 60 }))).toBe(
      '{"name":"Cr\\u00e8me br\\u00fbl\\u00e9e \\ud83d\\ude00","price":60.0,"__faust":{"ns":"shop.Item"}}',
    )
  })

  test('nested record, list of records, map, optional null and optional default', () => {
    const order = new Order({
      id: 7,
      items: [new Item({ name: 'a', price: 1.5 }), { name: 'b', price: 2 }],
      tags: { x: 1, é: 2 },
      main: { name: 'm', price: 1e16 },
    })
    expect(encode(order)).toBe(
      '{"id":7,"items":[{"name":"a","price":1.5,"__faust":{"ns":"shop.Item"}},' +
        '{"name":"b","price":2.0,"__faust":{"ns":"shop.Item"}}],"tags":{"x":1,"\\u00e9":2},' +
        '"main":{"name":"m","price":1e+16,"__faust":{"ns":"shop.Item"}},"note":null,"qty":1,' +
        '"__faust":{"ns":"shop.Order"}}',
    )
  })

  test('dates as isoformat with Z (microseconds only when non-zero), decimals as strings, tiny floats', () => {
    const withFraction = new Ev({ at: new Date('2024-01-02T03:04:05.120Z'), amount: '12.50', temp: 1e-5 })
    expect(encode(withFraction)).toBe(
      '{"at":"2024-01-02T03:04:05.120000Z","amount":"12.50","temp":1e-05,"__faust":{"ns":"ev.Ev"}}',
    )
    const whole = new Ev({ at: new Date('2024-01-02T03:04:05Z'), amount: '1', temp: 60 })
    expect(encode(whole)).toBe('{"at":"2024-01-02T03:04:05Z","amount":"1","temp":60.0,"__faust":{"ns":"ev.Ev"}}')
  })

  test('JSON.stringify of a record (or of data holding one) writes the same floats, via toJSON', () => {
    const item = new Item({ name: 'x', price: 60 })
    expect(JSON.stringify(item)).toBe('{"name":"x","price":60.0,"__faust":{"ns":"shop.Item"}}')
    expect(encode({ value: item, n: 1 })).toBe('{"value":{"name":"x","price":60.0,"__faust":{"ns":"shop.Item"}},"n":1}')
  })
})

describe('Python-written payloads decode', () => {
  test('escapes, floats written as 60.0, dates with Z or an offset, unknown extra fields ignored', () => {
    const payload = Buffer.from(
      '{"at":"2024-01-02T05:04:05.120000+02:00","amount":"12.50","temp":60.0,"extra":5,"__faust":{"ns":"ev.Ev"}}',
    )
    const ev = Ev.fromJSON(json.decode(payload))
    expect(ev).toBeInstanceOf(Ev)
    expect(ev.at.toISOString()).toBe('2024-01-02T03:04:05.120Z')
    expect(ev.temp).toBe(60)
    expect(ev.asDict()).not.toHaveProperty('extra')
  })

  test('orjson-style UTF-8 (Faust with orjson installed) reads the same', () => {
    const item = Item.fromJSON(json.decode(Buffer.from('{"name":"Crème 😀","price":0.00001}')))
    expect(item.name).toBe('Crème 😀')
    expect(item.price).toBe(1e-5)
  })

  test('a naive datetime (no offset) is UTC; a date alone is midnight UTC', () => {
    expect(Ev.fromJSON({ at: '2024-01-02T03:04:05', amount: '1', temp: 1 }).at.toISOString()).toBe(
      '2024-01-02T03:04:05.000Z',
    )
    expect(Ev.fromJSON({ at: '2024-01-02', amount: '1', temp: 1 }).at.toISOString()).toBe('2024-01-02T00:00:00.000Z')
    expect(Ev.fromJSON({ at: '2024-01-02 03:04:05+0130', amount: '1', temp: 1 }).at.toISOString()).toBe(
      '2024-01-02T01:34:05.000Z',
    )
  })

  test('a decimal written as a JSON number is kept as its text', () => {
    expect(Ev.fromJSON({ at: '2024-01-02', amount: 12.5, temp: 1 }).amount).toBe('12.5')
  })

  test('round trip keeps every value', () => {
    const order = new Order({ id: 1, items: [], tags: {}, main: { name: 'm', price: 0.1 }, note: 'n', qty: 3 })
    const back = Order.fromJSON(json.decode(json.encode(order)))
    expect(back.asDict()).toEqual(order.asDict())
    expect(back.main).toBeInstanceOf(Item)
  })
})

describe('toJSON and asDict', () => {
  test('toJSON is the wire object, asDict the fields', () => {
    const ev = new Ev({ at: new Date('2024-01-02T03:04:05Z'), amount: '1', temp: 1.5 })
    expect(ev.toJSON()).toEqual({ at: '2024-01-02T03:04:05Z', amount: '1', temp: 1.5, __faust: { ns: 'ev.Ev' } })
    expect(Object.keys(ev.toJSON())).toEqual(['at', 'amount', 'temp', '__faust'])
    expect(ev.asDict()).toEqual({ at: new Date('2024-01-02T03:04:05Z'), amount: '1', temp: 1.5 })
  })

  test('instance fields are own enumerable properties in declaration order', () => {
    const order = new Order({ id: 1, items: [], tags: {}, main: { name: 'm', price: 1 } })
    expect(Object.keys(order)).toEqual(['id', 'items', 'tags', 'main', 'note', 'qty'])
    expect(order.note).toBeNull()
    expect(order.qty).toBe(1)
  })
})
