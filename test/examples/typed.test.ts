import { expect, expectTypeOf, it } from 'vitest'
import { Add, adding, run } from '../../examples/typed.ts'
import type { Agent, Stream } from '../../src/index.ts'

it('typed: an agent over Stream<Add> yielding numbers', async () => {
  const { sum, sums, lines } = await run()
  expect(sum).toBe(8)
  expect(sums).toEqual([3, 7])
  expect(lines).toEqual(['8', '[3, 7]'])
})

it('typed: the types flow from the agent function (checked by tsc)', () => {
  expectTypeOf(adding).toEqualTypeOf<Agent<Add, unknown, number>>()
  expectTypeOf(adding.ask).returns.toEqualTypeOf<Promise<number>>()
  expectTypeOf(adding.join).returns.toEqualTypeOf<Promise<number[]>>()
  expectTypeOf(adding.fn).parameter(0).toEqualTypeOf<Stream<Add, unknown>>()
  // @ts-expect-error: the adder takes Add records, not numbers.
  void (() => adding.ask(4))
  expect(new Add({ a: 1, b: 2 }).a).toBe(1)
})
