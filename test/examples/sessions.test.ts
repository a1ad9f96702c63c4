import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { run } from '../../examples/sessions.ts'

it('sessions: one line per closed session, the late click dropped', async () => {
  const { lines, late } = await run({ app: { broker: `memory://sessions-${randomUUID()}` } })
  expect([...lines].sort()).toEqual([
    'ann: 1 clicks from 12:20 to 12:20',
    'ann: 2 clicks from 12:00 to 12:03',
    'bob: 1 clicks from 12:01 to 12:01',
    'bob: 1 clicks from 12:20 to 12:20',
  ])
  expect(late).toBe(1)
})
