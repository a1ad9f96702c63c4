import { expect, it } from 'vitest'
import { app, generatorTask, received, topic, wrongWay } from '../../examples/generator-feed.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('generator-feed under the test driver: the agent got what the task sent, nothing generated the wrong way', async () => {
  received.length = 0
  const driver = await new TestDriver(app).start()
  try {
    expect(await wrongWay()).toBe(5)
    // The task ends once it has sent every generated item: wait for it, then for the agent.
    await driver.taskDone(generatorTask)
    expect(driver.values(topic).map((item) => item.value)).toHaveLength(5)
    expect([...received].sort()).toEqual([0, 1, 2, 3, 4])
  } finally {
    await driver.stop()
  }
})

it('taskDone refuses a function that is not a task of the app', async () => {
  const driver = await new TestDriver(app).start()
  try {
    await expect(driver.taskDone(() => {})).rejects.toMatchObject({ code: 'FST_TEST_DRIVER' })
    // Stopped only once its task is done (a task cut off by stop fails its next send).
    await driver.taskDone(generatorTask)
  } finally {
    await driver.stop()
  }
})
