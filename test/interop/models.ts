/** The records of test/interop/py/interop_models.py, declared in Faustus with the same namespaces. */
import { bool, date, decimal, float, int, list, map, optional, record, str } from '../../src/index.ts'

export const Point = record('interop.Point', { x: int(), y: int() })
export const Item = record('interop.Item', { name: str(), price: float() })
export const Order = record('interop.Order', {
  id: int(),
  items: list(Item),
  tags: map(int()),
  main: Item,
  note: optional(str()),
  qty: optional(int(), { default: 1 }),
})
export const Reading = record('interop.Reading', { at: date(), amount: decimal(), temp: float(), flags: list(bool()) })
export const Ledger = record('interop.Ledger', {
  entries: map(list(int())),
  items: map(Item),
  grid: list(list(int())),
  extra: optional(map(str())),
})
export const Payment = record('interop.Payment', { amount: float() })
export const CardPayment = Payment.extend('interop.CardPayment', { card: str() })
export const BankPayment = Payment.extend('interop.BankPayment', { iban: str() })
export const Add = record('interop.Add', { a: int(), b: int() })
export const Keyed = record('interop.Keyed', { key: str(), seq: int() })
