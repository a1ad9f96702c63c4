/**
 * Compile-time checks of record typing, run by `tsc --noEmit -p .` (never executed). Each `@ts-expect-error`
 * must stay an error: if a line starts compiling, tsc reports the unused directive.
 */
import {
  any,
  date,
  float,
  int,
  list,
  literal,
  map,
  optional,
  type RecordInit,
  record,
  serializerFor,
  str,
} from '../../src/models/index.ts'

const Add = record('examples.agent.Add', { a: int(), b: int() })
type Add = InstanceType<typeof Add>

const ok: Add = new Add({ a: 2, b: 2 })
const sum: number = ok.a + ok.b

// @ts-expect-error unknown field
new Add({ a: 2, b: 2, c: 3 })

// @ts-expect-error wrong field type
new Add({ a: '2', b: 2 })

// @ts-expect-error missing required field
new Add({ a: 2 })

// @ts-expect-error fields are readonly
ok.a = 3

// @ts-expect-error typo in a field name
ok.aa

const Line = record('shop.Line', { sku: str(), price: float() })
const Order = record('shop.Order', {
  id: int(),
  lines: list(Line),
  first: Line,
  tags: map(str()),
  at: date(),
  note: optional(str()),
  qty: optional(int(), { default: 1 }),
  kind: literal('web', 'shop'),
  extra: any<{ source: string }>(),
})
type Order = InstanceType<typeof Order>

// Optional fields may be left out; nested records as instances or plain objects.
const order: Order = new Order({
  id: 1,
  lines: [new Line({ sku: 'a', price: 1 }), { sku: 'b', price: 2 }],
  first: { sku: 'c', price: 3 },
  tags: { a: 'b' },
  at: new Date(),
  kind: 'web',
  extra: { source: 'x' },
})
const price: number = order.lines[0].price
const firstSku: string = order.first.sku
const note: string | null = order.note
const qty: number = order.qty
const kind: 'web' | 'shop' = order.kind
const source: string = order.extra.source

new Order({
  id: 1,
  // @ts-expect-error wrong type inside a nested record in a list
  lines: [{ sku: 'a', price: 'free' }],
  first: { sku: 'c', price: 3 },
  tags: {},
  at: new Date(),
  kind: 'web',
  extra: { source: 'x' },
})

new Order({
  id: 1,
  lines: [],
  first: { sku: 'c', price: 3 },
  tags: {},
  at: new Date(),
  // @ts-expect-error not one of the literals
  kind: 'phone',
  extra: { source: 'x' },
})

// @ts-expect-error a nullable field without default may be null
const notNull: string = order.note

// Sub-records: instances are the base type too, and have the new fields.
const Card = Line.extend('shop.CardLine', { last4: str() })
const card = new Card({ sku: 'a', price: 1, last4: '4242' })
const asLine: InstanceType<typeof Line> = card
const last4: string = card.last4
// @ts-expect-error the sub-record needs its own fields
new Card({ sku: 'a', price: 1 })

// Field descriptors and serializers are typed by the record.
const byId: 'id' = Order.fields.id.name
// @ts-expect-error no such field
Order.fields.nope
const serializer = serializerFor(Order)
const decoded: Order = serializer.decode(Buffer.from('{}'))
const tombstone: null = serializer.decode(null)
serializer.encode({
  id: 1,
  lines: [],
  first: { sku: 'c', price: 3 },
  tags: {},
  at: new Date(),
  kind: 'shop',
  extra: { source: '' },
})
// @ts-expect-error encode checks plain objects against the record's init type
serializer.encode({ id: 'one' })

type LineInit = RecordInit<typeof Line.shape>
const init: LineInit = { sku: 'a', price: 1 }

export { asLine, byId, decoded, firstSku, init, kind, last4, note, notNull, price, qty, source, sum, tombstone }
