import { expect, it } from 'vitest'
import { agentA, app, myagentAsync, myagentFn, myagentTopic, reached } from '../../examples/sinks.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('sinks under the test driver: every sink kind gets every value once idle', async () => {
  const driver = await new TestDriver(app).start()
  try {
    for (const agent of [myagentFn, myagentAsync, myagentTopic, agentA]) await driver.sendAll(agent, [1, 2, 3])
    await driver.idle()
    expect(reached.function).toEqual([2, 4, 6])
    expect(reached.asyncFunction).toEqual([2, 4, 6])
    expect(reached.topic).toEqual([1, 2, 3])
    expect(reached.agent).toEqual([2, 4, 6])
    expect(driver.values('agent_log')).toEqual([1, 2, 3])
  } finally {
    await driver.stop()
  }
})
