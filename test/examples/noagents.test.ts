import { expect, it } from 'vitest'
import { run } from '../../examples/noagents.ts'

it('noagents: a task iterating topic.stream() prints every value sent to the topic', async () => {
  const lines = await run()
  // The topic has several partitions, so values may come in any order.
  expect([...lines].sort()).toEqual(["Received: 'hello'", 'Received: 42', "Received: { greeting: 'hi' }"].sort())
})
