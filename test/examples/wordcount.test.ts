import { expect, it } from 'vitest'
import { run, SENTENCES, words } from '../../examples/wordcount.ts'

it('wordcount: counts every word through groupBy and a table', async () => {
  const { counts, lines } = await run()
  const truth: Record<string, number> = {}
  for (const word of SENTENCES.flatMap(words)) truth[word] = (truth[word] ?? 0) + 1
  expect(counts).toEqual(truth)
  expect(lines[0]).toBe('the: 4')
})
