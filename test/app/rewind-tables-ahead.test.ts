// The exactly-once rewind rebuilds the tables while the failed transaction is still being aborted (after a broker
// restart the coordinator takes seconds to answer), not after: what is read then is committed (read_committed),
// and what gets decided later (a commit in doubt, here another producer's transaction holding back the last stable
// offset) is read by the assignment that ends the rewind. The counts stay exact.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { TransportError } from '../../src/errors.ts'
import type { App } from '../../src/index.ts'
import { TableManager } from '../../src/tables/manager.ts'
import { MemoryTransactionalProducer } from '../../src/transport/memory/transactions.ts'
import { MemoryTransport } from '../../src/transport/memory/transport.ts'
import type { GroupMetadata, TopicPartitionOffset } from '../../src/transport/types.ts'
import { committedToEnd, waitFor } from '../helpers.ts'
import { committedRecords, relayWorker } from './relay-worker.ts'

const apps: App[] = []
const closing: MemoryTransport[] = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const app of apps.splice(0)) await app.stop()
  for (const transport of closing.splice(0)) await transport.close()
})

const N = 2_000
const KEYS = 13
const PARTITIONS = [0, 1, 2, 3]

describe('exactly-once rewind: tables rebuilt ahead (memory)', () => {
  it('rebuilds the tables before the old transaction is fenced, then reads what was decided meanwhile', async () => {
    const broker = `memory://ahead-${Math.random()}`
    const { app, counts } = relayWorker(apps, broker, 'ahead-app', 'ah')
    const transport = new MemoryTransport({ url: broker })
    closing.push(transport)
    // Another producer's transaction on every changelog partition, open from halfway until the rewind's fence:
    // the worker's later changelog records are committed but beyond the last stable offset until it ends.
    const foreign = transport.createTransactionalProducer({ transactionalId: 'foreign' })

    const aheads: Promise<void>[] = []
    const recoverAhead = TableManager.prototype.recoverAhead
    vi.spyOn(TableManager.prototype, 'recoverAhead').mockImplementation(function (this: TableManager) {
      const ahead = recoverAhead.call(this)
      aheads.push(ahead)
      return ahead
    })
    let failNext = false
    let failed = 0
    // Producers whose open transaction holds offsets (the checkpoint sends them ahead of its commit).
    const withOffsets = new WeakSet<MemoryTransactionalProducer>()
    const commit = MemoryTransactionalProducer.prototype.commit
    vi.spyOn(MemoryTransactionalProducer.prototype, 'commit').mockImplementation(async function (
      this: MemoryTransactionalProducer,
    ) {
      if (withOffsets.delete(this) && failNext) {
        failNext = false
        failed++
        await this.abort()
        throw new TransportError('FST_BROKER_UNAVAILABLE', 'the broker is away')
      }
      return commit.call(this)
    })
    // The rewind's fence (an empty offsets send of the new producer): the rebuild ahead has run by then; the other
    // transaction commits now, so the rebuild ahead could not have read past its start.
    let recoveredAhead: number | undefined
    const sendOffsets = MemoryTransactionalProducer.prototype.sendOffsets
    vi.spyOn(MemoryTransactionalProducer.prototype, 'sendOffsets').mockImplementation(async function (
      this: MemoryTransactionalProducer,
      offsets: TopicPartitionOffset[],
      group: GroupMetadata,
    ) {
      if (offsets.length > 0) withOffsets.add(this)
      if (offsets.length === 0 && failed === 1 && recoveredAhead === undefined) {
        expect(aheads.length).toBeGreaterThan(0)
        await aheads[aheads.length - 1]
        recoveredAhead = app.tables.get('ah-counts')!.stats.recovered
        await foreign.commit()
      }
      return sendOffsets.call(this, offsets, group)
    })

    await app.start()
    let stopped: unknown
    app.done.then(
      () => {
        stopped = 'stopped'
      },
      (error) => {
        stopped = error
      },
    )
    const changelog = app.tables.get('ah-counts')!.changelogTopic
    const truth = new Map<string, number>()
    const input = transport.createProducer()
    for (let i = 0; i < N; i++) {
      const key = `k${i % KEYS}`
      truth.set(key, (truth.get(key) ?? 0) + 1)
      await input.send([{ topic: 'ah-in', key: Buffer.from(JSON.stringify(key)), value: Buffer.from(String(i)) }])
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
      if (i === N / 4) {
        await foreign.send(
          PARTITIONS.map((partition) => ({
            topic: changelog,
            partition,
            key: Buffer.from(JSON.stringify(`foreign-${partition}`)),
            value: Buffer.from('0'),
          })),
        )
      }
      if (i === N / 2) failNext = true
    }
    await waitFor(
      () => stopped !== undefined || committedToEnd(app, 'ah-in', PARTITIONS),
      20_000,
      'every input committed',
    )
    expect(stopped).toBeUndefined()
    expect(failed).toBe(1)
    // The tables were rebuilt (in part) before the fence, and in full after it.
    expect(recoveredAhead).toBeGreaterThan(0)
    const outputs = await committedRecords(broker, 'ah-out')
    const values = outputs.map((r) => JSON.parse(r.value!.toString()) as number).sort((x, y) => x - y)
    expect(values.length).toBe(N)
    expect(new Set(values).size).toBe(N)
    for (const [key, count] of truth) expect(counts.get(key)).toBe(count)
  })
})
