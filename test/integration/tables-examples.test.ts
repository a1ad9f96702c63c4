// The table examples on a real broker, and an LMDB restart that replays only the changelog tail.
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, inject, it } from 'vitest'
import { run as pageViews } from '../../examples/pageviews.ts'
import { SENTENCES, run as wordCount, wordCountApp, words } from '../../examples/wordcount.ts'
import { waitFor } from '../helpers.ts'

const broker = () => `kafka://${inject('kafkaBootstrap')}`
const unique = () => randomUUID().slice(0, 8)

describe('table examples on Kafka', () => {
  it('wordcount counts every word', async () => {
    const id = unique()
    const { counts } = await wordCount({ app: { id: `wc-ex-${id}`, topic: `words-ex-${id}`, broker: broker() } })
    const truth: Record<string, number> = {}
    for (const word of SENTENCES.flatMap(words)) truth[word] = (truth[word] ?? 0) + 1
    expect(counts).toEqual(truth)
  }, 120_000)

  it('pageviews closes each minute window once', async () => {
    const id = unique()
    const { closed } = await pageViews({ app: { id: `pv-${id}`, topic: `views-${id}`, broker: broker() } })
    expect(closed.map((c) => `${c.page}@${c.minute}=${c.views}`).sort()).toEqual([
      '/about@12:00=1',
      '/about@12:02=2',
      '/home@12:00=2',
      '/home@12:01=1',
    ])
  }, 120_000)

  it('a worker restarted on its LMDB store replays only the tail of the changelog', async () => {
    const id = unique()
    const options = {
      id: `wc-rs-${id}`,
      topic: `words-rs-${id}`,
      broker: broker(),
      store: `lmdb://${mkdtempSync(join(tmpdir(), 'faustus-rs-'))}`,
    }
    const first = wordCountApp(options)
    await first.app.start()
    for (let i = 0; i < 100; i++) await first.wordsTopic.send({ value: `w${i % 9}` })
    await waitFor(() => first.counted() === 100, 60_000)
    const before = Object.fromEntries(first.counts.entries())
    await first.app.stop()

    const second = wordCountApp(options)
    await second.app.start()
    try {
      expect(second.app.lastRecovery.records).toBe(0)
      expect(Object.fromEntries(second.counts.entries())).toEqual(before)
    } finally {
      await second.app.stop()
    }
  }, 120_000)
})
