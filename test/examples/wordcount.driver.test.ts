import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { SENTENCES, wordCountApp, words } from '../../examples/wordcount.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('wordcount under the test driver: every word counted once, the changelog holds the counts', async () => {
  const { app, wordsTopic, counts } = wordCountApp({ broker: `memory://wordcount-${randomUUID()}`, logLevel: 'silent' })
  const driver = await new TestDriver(app).start()
  try {
    await driver.sendAll(wordsTopic, SENTENCES.flatMap(words))
    await driver.idle()
    const truth = new Map<string, number>()
    for (const word of SENTENCES.flatMap(words)) truth.set(word, (truth.get(word) ?? 0) + 1)
    expect(driver.table(counts)).toEqual(truth)
    // The latest changelog record of each word is its count.
    const latest = new Map(
      driver.records<number, string>('wordcount-word_counts-changelog').map((r) => [r.key, r.value]),
    )
    expect(latest).toEqual(truth)
  } finally {
    await driver.stop()
  }
})
