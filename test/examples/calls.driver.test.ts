import { expect, it } from 'vitest'
import { Add, adder, app, pow2 } from '../../examples/calls.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('calls under the test driver: ask, and replies of many asks in order', async () => {
  const driver = await new TestDriver(app).start()
  try {
    expect(await driver.ask(adder, new Add({ a: 2, b: 2 }))).toBe(4)
    const squares = await Promise.all([1, 2, 3].map((n) => driver.ask(pow2, n)))
    expect(squares).toEqual([1, 4, 9])
  } finally {
    await driver.stop()
  }
})
