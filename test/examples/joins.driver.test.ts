import { expect, it } from 'vitest'
import {
  app,
  customersIn,
  Order,
  orderStatus,
  orders,
  Payment,
  payments,
  receipts,
  unpaid,
} from '../../examples/joins.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('joins example under the test driver: paid and unpaid orders, receipts, the status table', async () => {
  const driver = await new TestDriver(app).start()
  try {
    const t = driver.clock.now()
    await driver.send(customersIn, { key: 'c1', value: 'Ada' })
    await driver.idle()
    await driver.send(orders, { key: 'o1', value: new Order({ id: 'o1', customer: 'c1', item: 'book' }), timestamp: t })
    await driver.send(orders, { key: 'o2', value: new Order({ id: 'o2', customer: 'c2', item: 'pen' }), timestamp: t })
    await driver.send(payments, { key: 'o1', value: new Payment({ order: 'o1', amount: 12.5 }), timestamp: t + 60_000 })
    await driver.idle()
    expect(driver.values(receipts)).toEqual(['Ada paid 12.5 for book'])
    expect(orderStatus.get('o1')).toBe('book: paid 12.5')
    expect(orderStatus.get('o2')).toBe('pen: unpaid')
    expect(driver.values(unpaid)).toEqual([])
    // Two hours later on o2's partition: its window has closed, it comes out unpaid.
    const late = new Order({ id: 'o2-later', customer: 'c2', item: 'ink' })
    await driver.send(orders, { key: 'o2', value: late, timestamp: t + 2 * 3_600_000 })
    await driver.idle()
    expect(driver.values(unpaid)).toEqual([{ order: 'o2', item: 'pen', customer: 'c2', paid: null }])
  } finally {
    await driver.stop()
  }
})
