import { expect, it } from 'vitest'
import { app, out, topic } from '../../examples/noagents.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('noagents under the test driver: the task iterating topic.stream() got every value once idle', async () => {
  out.reset()
  const driver = await new TestDriver(app).start()
  try {
    for (const value of ['hello', 42, { greeting: 'hi' }]) await driver.send(topic, { value })
    await driver.idle()
    // The topic has several partitions, so values may come in any order.
    expect([...out.lines].sort()).toEqual(["Received: 'hello'", 'Received: 42', "Received: { greeting: 'hi' }"].sort())
  } finally {
    await driver.stop()
  }
})
