import { expect, it } from 'vitest'
import { Add, adding, app, topic } from '../../examples/typed.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('typed under the test driver: ask returns the typed sum, sends land on the typed topic', async () => {
  const driver = await new TestDriver(app).start()
  try {
    const sum: number = await driver.ask(adding, new Add({ a: 2, b: 3 }))
    expect(sum).toBe(5)
    await driver.send(topic, { value: new Add({ a: 4, b: 8 }) })
    await driver.idle()
    const last = driver.records(topic).at(-1)!
    expect(last.value).toBeInstanceOf(Add)
    expect(last.value.a + last.value.b).toBe(12)
  } finally {
    await driver.stop()
  }
})
