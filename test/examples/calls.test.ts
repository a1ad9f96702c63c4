import { expect, it } from 'vitest'
import { run } from '../../examples/calls.ts'

const squares = [1, 4, 9, 16, 25, 36, 49, 64]
const sorted = (values: number[]) => [...values].sort((a, b) => a - b)

it('calls: cast, ask, send with replyTo, map, kvmap, join and kvjoin', async () => {
  const result = await run()
  expect(result.cast).toBe(4)
  expect(result.ask).toBe(4)
  // another_agent gets Faust's reply envelope, the result in `value`.
  expect(result.sendReplyTo).toMatchObject({ key: null, value: 4, correlation_id: expect.any(String) })
  // map and kvmap: every result, in the order they came.
  expect(sorted(result.map)).toEqual(squares)
  expect(sorted(result.kvmap)).toEqual(squares)
  // join and kvjoin: in the order of the values.
  expect(result.join).toEqual(squares)
  expect(result.kvjoin).toEqual(squares)
  expect(result.lines.filter((line) => !line.startsWith('RECEIVED REPLY'))).toEqual([
    'CAST: the adder computed 4, and replied to no one',
    'ASK: 4',
    'ANOTHER AGENT RECEIVED: 4',
    'KVMAP: 8 replies',
    'JOIN: [1, 4, 9, 16, 25, 36, 49, 64]',
    'KVJOIN: [1, 4, 9, 16, 25, 36, 49, 64]',
  ])
  expect(result.lines.filter((line) => line.startsWith('RECEIVED REPLY'))).toHaveLength(8)
})
