import { afterEach, describe, expect, it } from 'vitest'
import type { App, Stream } from '../../src/index.ts'
import type { Table } from '../../src/tables/index.ts'
import { brokerOf, openTransport, waitFor } from '../helpers.ts'
import { lmdbDir, memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

/** A word-count worker: topic `words` keyed by the word, table `counts`. */
function wordCounter(broker: string, options: Parameters<typeof worker>[2] = {}, standbys = 1) {
  const app = worker('rec', broker, options)
  const words = app.topic('words', { valueType: 'json' })
  const counts = app.table<string, number>('counts', { default: () => 0, standbys })
  let processed = 0
  app.agent(words, async function count(stream: Stream<string>) {
    for await (const word of stream) {
      counts.update(word, (n) => n + 1)
      processed++
    }
  })
  return { app, words, counts, processed: () => processed }
}

async function sendWords(app: App, words: string[]) {
  const topic = app.topics.get('words')!
  for (const word of words) await topic.send({ key: word, value: word })
}

function truth(words: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const w of words) out[w] = (out[w] ?? 0) + 1
  return out
}

const sorted = (table: Table<string, number>) => Object.fromEntries([...table.entries()].sort())

/** Checkpoints only on stop: the changelog then holds one record per key changed in each run (the table cache). */
const ON_STOP = { brokerCommitIntervalMs: 3_600_000 }

describe('recovery', () => {
  it('a restarted worker with an LMDB store replays only the changelog tail', async () => {
    const broker = memoryBroker()
    const dir = lmdbDir()
    const first = wordCounter(broker, { ...ON_STOP, store: `lmdb://${dir}` })
    await first.app.start()
    const batch1 = Array.from({ length: 200 }, (_, i) => `w${i % 17}`)
    await sendWords(first.app, batch1)
    await waitFor(() => first.processed() === 200)
    await first.app.stop()

    // Restart: nothing new in the changelog, nothing to replay.
    const second = wordCounter(broker, { ...ON_STOP, store: `lmdb://${dir}` })
    await second.app.start()
    expect(second.app.lastRecovery.records).toBe(0)
    expect(sorted(second.counts)).toEqual(truth(batch1))

    // Another worker (its own store) takes everything while this one is down, then leaves: a tail of 23 records
    // (the 17 keys of the first run were written once each, and the 23 keys of its own run are).
    await second.app.stop()
    const other = wordCounter(broker, { ...ON_STOP, store: `lmdb://${lmdbDir()}` })
    await other.app.start()
    expect(other.app.lastRecovery.records).toBe(17)
    const batch2 = Array.from({ length: 60 }, (_, i) => `w${i % 23}`)
    await sendWords(other.app, batch2)
    await waitFor(() => other.processed() === 60)
    await other.app.stop()

    const third = wordCounter(broker, { ...ON_STOP, store: `lmdb://${dir}` })
    await third.app.start()
    expect(third.app.lastRecovery.records).toBe(23)
    expect(sorted(third.counts)).toEqual(truth([...batch1, ...batch2]))
  })

  it('a memory store replays the whole changelog into a new worker', async () => {
    const broker = memoryBroker()
    const first = wordCounter(broker, ON_STOP)
    await first.app.start()
    const words = Array.from({ length: 50 }, (_, i) => `k${i % 7}`)
    await sendWords(first.app, words)
    await waitFor(() => first.processed() === 50)
    await first.app.stop()
    // One record per key: the 50 updates of 7 keys were coalesced until the checkpoint on stop.
    const second = wordCounter(broker, ON_STOP)
    await second.app.start()
    expect(second.app.lastRecovery.records).toBe(7)
    expect(second.counts.stats.recovered).toBe(7)
    expect(sorted(second.counts)).toEqual(truth(words))
  })

  it('skips, logs and counts a corrupt changelog record', async () => {
    const broker = memoryBroker()
    const first = wordCounter(broker)
    await first.app.start()
    await sendWords(first.app, ['a', 'b', 'a'])
    await waitFor(() => first.processed() === 3)
    const transport = await openTransport(first.app)
    const partition = [...first.counts.activePartitions][0]
    await transport
      .createProducer()
      .send([{ topic: 'rec-counts-changelog', partition, key: Buffer.from('"x"'), value: Buffer.from('{nope') }])
    await transport.close()
    await first.app.stop()
    const errors: object[] = []
    const logger = { ...quiet, error: (obj: object) => void errors.push(obj), child: () => logger }
    const second = wordCounter(broker, { logger })
    await second.app.start()
    expect(second.counts.stats.corrupt).toBe(1)
    expect(sorted(second.counts)).toEqual({ a: 2, b: 1 })
    expect(
      errors.some((e) => 'offset' in e && (e as unknown as { topic: string }).topic === 'rec-counts-changelog'),
    ).toBe(true)
  })

  it('reports a stalled recovery with its partition and offset instead of hanging', async () => {
    const broker = memoryBroker()
    const first = wordCounter(broker)
    await first.app.start()
    await sendWords(first.app, ['a'])
    await waitFor(() => first.processed() === 1)
    await first.app.stop()
    const second = wordCounter(broker, { tableRecoveryStallMs: 200 })
    const memory = brokerOf(broker)
    const listOffsets = memory.listOffsets.bind(memory)
    // The broker claims records that never come.
    memory.listOffsets = (tps, readCommitted) =>
      listOffsets(tps, readCommitted).map((o) => ({ ...o, latest: o.latest + 5 }))
    await expect(second.app.start()).rejects.toMatchObject({
      code: 'FST_RECOVERY_STALLED',
      details: { topic: 'rec-counts-changelog', offset: expect.any(Number) },
    })
  })
})

const quiet = { warn() {}, info() {}, debug() {}, error() {}, child() {} }

describe('standbys', () => {
  it('three workers: a leaving worker’s partitions go to their standby holders, which read only the tail', async () => {
    const broker = memoryBroker()
    const workers = ['a', 'b', 'c'].map(() => wordCounter(broker, { topicPartitions: 6 }))
    for (const w of workers) await w.app.start()
    const words = Array.from({ length: 600 }, (_, i) => `word-${i % 41}`)
    await sendWords(workers[0].app, words)
    await waitFor(() => workers.reduce((n, w) => n + w.processed(), 0) === 600)
    const [a, b, c] = workers
    // Every changelog record written (the writer batches per event-loop turn).
    for (const w of workers) await w.app.commit()
    for (const w of workers) expect(w.counts.activePartitions.size).toBe(2)
    // Standbys follow the changelog: wait until every standby store reached the end of its partition.
    const ends = brokerOf(broker).listOffsets(
      Array.from({ length: 6 }, (_, partition) => ({ topic: 'rec-counts-changelog', partition })),
    )
    await waitFor(() =>
      workers.every((w) =>
        [...w.counts.standbyPartitions].every((p) => (w.counts.store(p).appliedOffset() ?? -1) === ends[p].latest - 1),
      ),
    )
    const moved = [...c.counts.activePartitions]
    const holders = new Map(moved.map((p) => [p, [a, b].find((w) => w.counts.standbyPartitions.has(p))]))
    const changelogOfMoved = moved.reduce((n, p) => n + ends[p].latest, 0)
    expect(changelogOfMoved).toBeGreaterThan(0)

    await c.app.stop()
    await waitFor(() => a.counts.activePartitions.size + b.counts.activePartitions.size === 6)
    for (const p of moved) {
      const holder = holders.get(p)
      if (holder !== undefined) expect(holder.counts.activePartitions.has(p)).toBe(true)
    }
    expect([...holders.values()].filter(Boolean).length).toBeGreaterThan(0)
    // Promoted standbys were up to date: recovery read nothing of the moved partitions' changelogs.
    const read = a.app.lastRecovery.records + b.app.lastRecovery.records
    expect(read).toBe(0)
    const merged = { ...sorted(a.counts), ...sorted(b.counts) }
    expect(merged).toEqual(truth(words))
  })

  it('without standbys, the new owner replays the moved partitions in full', async () => {
    const broker = memoryBroker()
    const workers = ['a', 'b'].map(() => wordCounter(broker, { topicPartitions: 4 }, 0))
    for (const w of workers) await w.app.start()
    const words = Array.from({ length: 100 }, (_, i) => `word-${i % 13}`)
    await sendWords(workers[0].app, words)
    await waitFor(() => workers[0].processed() + workers[1].processed() === 100)
    const [a, b] = workers
    expect(a.counts.standbyPartitions.size).toBe(0)
    const moved = [...b.counts.activePartitions]
    for (const w of workers) await w.app.commit()
    const records = await readTopic(a.app, 'rec-counts-changelog', 4)
    await b.app.stop()
    expect(a.app.lastRecovery.records).toBe(records.filter((r) => moved.includes(r.partition)).length)
    expect(sorted(a.counts)).toEqual(truth(words))
  })
})
