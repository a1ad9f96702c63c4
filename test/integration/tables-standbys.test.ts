// Standbys on a real broker: three workers, one leaves; its partitions go to the workers holding their standbys,
// which were following the changelog and so recover nothing.
import { randomUUID } from 'node:crypto'
import { describe, expect, inject, it } from 'vitest'
import { openTransport, waitFor } from '../helpers.ts'
import { standbyWorker } from './fixtures/standby-worker.ts'

const run = randomUUID().slice(0, 8)

const worker = () => standbyWorker(run, inject('kafkaBootstrap'))

describe('standbys on Kafka', () => {
  it('a leaving worker’s partitions move to their standby holders, with nothing to replay', async () => {
    const workers = [worker(), worker(), worker()]
    for (const w of workers) await w.app.start()
    await waitFor(() => workers.every((w) => w.counts.activePartitions.size === 2), 60_000)
    const [a, b, c] = workers
    for (let i = 0; i < 300; i++) await a.words.send({ key: `word-${i % 29}`, value: `word-${i % 29}` })
    await waitFor(() => workers.reduce((n, w) => n + w.processed(), 0) === 300, 60_000)
    for (const w of workers) await w.app.commit()
    const changelog = `sb-${run}-counts-changelog`
    const transport = await openTransport(a.app)
    const ends = await transport.listOffsets(
      Array.from({ length: 6 }, (_, partition) => ({ topic: changelog, partition })),
    )
    await transport.close()
    await waitFor(
      () =>
        workers.every((w) =>
          [...w.counts.standbyPartitions].every(
            (p) => (w.counts.store(p).appliedOffset() ?? -1) === ends[p].latest - 1,
          ),
        ),
      60_000,
    )
    const moved = [...c.counts.activePartitions]
    const holders = new Map(moved.map((p) => [p, [a, b].find((w) => w.counts.standbyPartitions.has(p))]))
    await c.app.stop()
    await waitFor(() => a.counts.activePartitions.size + b.counts.activePartitions.size === 6, 60_000)
    for (const p of moved) expect(holders.get(p)?.counts.activePartitions.has(p)).toBe(true)
    expect(a.app.lastRecovery.records + b.app.lastRecovery.records).toBe(0)
    const merged = { ...Object.fromEntries(a.counts.entries()), ...Object.fromEntries(b.counts.entries()) }
    expect(Object.values(merged).reduce((x, y) => x + y, 0)).toBe(300)
    await a.app.stop()
    await b.app.stop()
  }, 180_000)
})
