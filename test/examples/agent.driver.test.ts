import { expect, it } from 'vitest'
import { Add, adding, app } from '../../examples/agent.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('agent under the test driver: ask the adding agent', async () => {
  const driver = await new TestDriver(app).start()
  try {
    expect(await driver.ask(adding, new Add({ a: 4, b: 8 }))).toBe(12)
  } finally {
    await driver.stop()
  }
})
