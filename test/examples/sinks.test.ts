import { expect, it } from 'vitest'
import { run } from '../../examples/sinks.ts'

const sorted = (values: unknown[]) => [...(values as number[])].sort((a, b) => a - b)

it('sinks: yielded values reach a function, an async function, a topic and another agent', async () => {
  const result = await run()
  expect(sorted(result.function)).toEqual([2, 4, 6])
  expect(sorted(result.asyncFunction)).toEqual([2, 4, 6])
  // The topic sink: agent_log read back by another agent.
  expect(sorted(result.topic)).toEqual([1, 2, 3])
  expect(sorted(result.agent)).toEqual([2, 4, 6])
  expect([...result.lines].sort()).toEqual(
    [
      ...[2, 4, 6].map((v) => `AGENT YIELD: ${v}`),
      ...[2, 4, 6].map((v) => `AGENT YIELD (async): ${v}`),
      ...[1, 2, 3].map((v) => `AGENT LOG: ${v}`),
      ...[1, 2, 3].map((v) => `AGENT A RECEIVED: ${v}`),
      ...[2, 4, 6].map((v) => `AGENT B RECEIVED: ${v}`),
    ].sort(),
  )
})
