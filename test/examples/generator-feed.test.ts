import { expect, it } from 'vitest'
import { run } from '../../examples/generator-feed.ts'

it('generator-feed: a task sending each generated item feeds the agent; iterating the generator alone does not', async () => {
  const { generatedTheWrongWay, received, lines } = await run()
  expect(generatedTheWrongWay).toBe(5)
  // Only the five items the task sent: the five generated the wrong way reached no one.
  expect([...received].sort()).toEqual([0, 1, 2, 3, 4])
  expect([...lines].sort()).toEqual(['Received: 0', 'Received: 1', 'Received: 2', 'Received: 3', 'Received: 4'])
})
