// Standbys on a real broker when a worker dies: three workers, one is killed with SIGKILL (no revoke, no commit,
// no goodbye); after the session timeout its partitions go to the workers holding their standbys, which followed
// the changelog and so replay only what they had not applied (here nothing).
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest'
import { openTransport, waitFor } from '../helpers.ts'
import { standbyWorker } from './fixtures/standby-worker.ts'

const run = randomUUID().slice(0, 8)
const node = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node')
let killed: ChildProcess | undefined

afterAll(() => {
  killed?.kill('SIGKILL')
})

describe('standbys on Kafka, after kill -9', () => {
  it("a killed worker's partitions move to their standby holders, which replay only the tail", async () => {
    const bootstrap = inject('kafkaBootstrap')
    const [a, b] = [standbyWorker(run, bootstrap), standbyWorker(run, bootstrap)]
    await a.app.start()
    await b.app.start()
    killed = spawn(node, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'standby-worker.ts')], {
      env: { ...process.env, RUN_STANDBY_WORKER: '1', SB_RUN: run, FAUSTUS_TEST_KAFKA: bootstrap },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    await new Promise<void>((resolve) => killed!.stdout!.on('data', (d: Buffer) => d.includes('ready') && resolve()))
    await waitFor(
      () => a.counts.activePartitions.size === 2 && b.counts.activePartitions.size === 2,
      90_000,
      'condition',
      { intervalMs: 50 },
    )
    for (let i = 0; i < 300; i++) await a.words.send({ key: `word-${i % 29}`, value: `word-${i % 29}` })
    // Everything processed and committed (by whichever worker owns it; a commit follows the changelog's flush), and
    // applied by the standbys.
    const changelog = `sb-${run}-counts-changelog`
    const transport = await openTransport(a.app)
    onTestFinished(() => transport.close())
    const source = Array.from({ length: 6 }, (_, partition) => ({ topic: a.words.name, partition }))
    const group = transport.createConsumer({
      groupId: a.app.groupId,
      topics: [a.words.name],
      handler: { onAssigned() {}, onRevoked() {}, onRecords() {} },
    })
    const committed = async () => [...(await group.committed(source)).values()].reduce((n, o) => n + o, 0)
    await waitFor(async () => (await committed()) === 300, 90_000, 'every word committed', { intervalMs: 50 })
    const ends = await transport.listOffsets(
      Array.from({ length: 6 }, (_, partition) => ({ topic: changelog, partition })),
    )
    await waitFor(
      () =>
        [a, b].every((w) =>
          [...w.counts.standbyPartitions].every(
            (p) => (w.counts.store(p).appliedOffset() ?? -1) === ends[p].latest - 1,
          ),
        ),
      90_000,
      'condition',
      { intervalMs: 50 },
    )
    const owned = new Set([...a.counts.activePartitions, ...b.counts.activePartitions])
    const moved = [0, 1, 2, 3, 4, 5].filter((p) => !owned.has(p))
    expect(moved.length).toBe(2)
    const holders = new Map(moved.map((p) => [p, [a, b].find((w) => w.counts.standbyPartitions.has(p))]))
    for (const p of moved) expect(holders.get(p)).toBeDefined()

    killed.kill('SIGKILL')
    killed = undefined
    await waitFor(() => a.counts.activePartitions.size + b.counts.activePartitions.size === 6, 90_000, 'condition', {
      intervalMs: 50,
    })
    for (const p of moved) expect(holders.get(p)?.counts.activePartitions.has(p)).toBe(true)
    expect(a.app.lastRecovery.records + b.app.lastRecovery.records).toBe(0)
    // No update was lost: the counts add up to every word sent.
    const merged = { ...Object.fromEntries(a.counts.entries()), ...Object.fromEntries(b.counts.entries()) }
    expect(Object.values(merged).reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(300)
    await a.app.stop()
    await b.app.stop()
  }, 240_000)
})
