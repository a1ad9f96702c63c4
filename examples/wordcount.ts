// Word count with a table: words arrive unkeyed (spread over partitions), `groupBy` sends each word to the partition
// of its key, and the table keeps a count per word, backed by the changelog topic `wordcount-word_counts-changelog`.
// Run it: npx tsx examples/wordcount.ts
import { App, type AppOptions, type Stream } from '../src/index.ts'
import { isMain, Output, until } from './support.ts'

export const SENTENCES = [
  'the quick brown fox jumps over the lazy dog',
  'the dog barks',
  'a fox is quick and a dog is lazy',
  'the end',
]

export function words(sentence: string): string[] {
  return sentence.split(/\s+/).filter((word) => word.length > 0)
}

/** The word count app; options let tests run it under another id and topic, on another broker or store. */
export function wordCountApp(options: AppOptions & { id?: string; topic?: string } = {}) {
  const { id = 'wordcount', topic = 'words', ...settings } = options
  const app = new App(id, {
    broker: 'memory://examples-wordcount',
    logLevel: 'warn',
    topicPartitions: 4,
    ...settings,
  })
  const wordsTopic = app.topic(topic, { valueType: 'json' })
  const counts = app.table<string, number>('word_counts', { default: () => 0, help: 'Times each word was seen' })
  let counted = 0
  app.agent(wordsTopic, async function count(stream: Stream<string>) {
    // The table is partitioned like its source: group by the word first, so a word is always counted on the
    // worker that owns its partition (writing it from another partition is FST_TABLE_WRONG_PARTITION).
    for await (const word of stream.groupBy((w) => w, { name: 'word' })) {
      counts.update(word, (n) => n + 1)
      counted++
    }
  })
  return { app, wordsTopic, counts, counted: () => counted }
}

/** The app `faustus -A examples/wordcount.ts worker` runs. */
export const { app } = wordCountApp()

export async function run(options: { echo?: boolean; app?: Parameters<typeof wordCountApp>[0] } = {}) {
  const out = new Output()
  out.reset(options.echo)
  const { app, wordsTopic, counts, counted } = wordCountApp(options.app)
  await app.start()
  try {
    const all = SENTENCES.flatMap(words)
    for (const word of all) await wordsTopic.send({ value: word })
    await until(() => counted() === all.length, 10_000, 'every word to be counted')
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    for (const [word, n] of top.slice(0, 5)) out.print(`${word}: ${n}`)
    return { counts: Object.fromEntries(counts.entries()), lines: out.lines }
  } finally {
    await app.stop()
  }
}

if (isMain(import.meta.url)) await run({ echo: true })
