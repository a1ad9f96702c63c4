import { expect, it } from 'vitest'
import { run } from '../../examples/merge.ts'

it('merge: a task reads two topics as one stream', async () => {
  const { merged, lines } = await run()
  // Interleaved in any order across topics, in order within each.
  expect(merged.filter((e) => e.topic === 'foo1').map((e) => e.value)).toEqual(['a1', 'a2'])
  expect(merged.filter((e) => e.topic === 'foo2').map((e) => e.value)).toEqual(['b1', 'b2'])
  expect([...lines].sort()).toEqual([
    "Received from foo1: 'a1'",
    "Received from foo1: 'a2'",
    "Received from foo2: 'b1'",
    "Received from foo2: 'b2'",
  ])
})
