import { expect, it } from 'vitest'
import { app, merged, topic1, topic2 } from '../../examples/merge.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('merge under the test driver: the task reads both topics', async () => {
  const driver = await new TestDriver(app).start()
  try {
    await driver.send(topic1, { value: 'a' })
    await driver.send(topic2, { value: 'b' })
    await driver.idle()
    expect([...merged].sort((x, y) => String(x.topic).localeCompare(String(y.topic)))).toEqual([
      { topic: 'foo1', value: 'a' },
      { topic: 'foo2', value: 'b' },
    ])
  } finally {
    await driver.stop()
  }
})
