import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { App, float, record, type Stream, str } from '../../src/index.ts'
import { brokerOf, stopAfterEach, waitFor } from '../helpers.ts'

const Transfer = record('test.workers.Transfer', { account_id: str(), amount: float() })
type Transfer = InstanceType<typeof Transfer>

const apps = stopAfterEach()

/** A worker of app `id` on a shared memory broker, recording which partition each account arrived on. */
function worker(broker: string, seen: Map<string, Set<string>>, name: string) {
  const app = new App('workers', { broker, logLevel: 'silent', topicPartitions: 4 })
  apps.push(app)
  const transfers = app.topic('transfers', { valueType: Transfer })
  const processed: string[] = []
  app.agent(transfers, async function totals(stream: Stream<Transfer>) {
    for await (const transfer of stream.groupBy(Transfer.fields.account_id)) {
      const key = `${transfer.account_id}`
      if (!seen.has(key)) seen.set(key, new Set())
      seen.get(key)!.add(name)
      processed.push(`${transfer.account_id}:${transfer.amount}`)
    }
  })
  return { app, transfers, processed }
}

describe('several workers in one group', () => {
  it('share partitions; groupBy sends each account to one worker; nothing lost or doubled on leave', async () => {
    const broker = `memory://workers-${randomUUID()}`
    const seen = new Map<string, Set<string>>()
    const a = worker(broker, seen, 'a')
    const b = worker(broker, seen, 'b')
    await a.app.start()
    await b.app.start()
    expect(a.app.topics.has('totals-transfers-Transfer.account_id-repartition')).toBe(true)
    const sent: string[] = []
    for (let i = 0; i < 200; i++) {
      const transfer = new Transfer({ account_id: `acct-${i % 10}`, amount: i })
      sent.push(`${transfer.account_id}:${transfer.amount}`)
      await a.transfers.send({ value: transfer })
    }
    await waitFor(() => a.processed.length + b.processed.length === 200, 5000, 'all processed')
    expect(a.processed.length).toBeGreaterThan(0)
    expect(b.processed.length).toBeGreaterThan(0)
    // After repartitioning, each account is processed by exactly one worker.
    for (const workers of seen.values()) expect(workers.size).toBe(1)

    // Worker b leaves gracefully; a takes over everything, and new events all reach a.
    await b.app.stop()
    for (let i = 200; i < 260; i++) {
      const transfer = new Transfer({ account_id: `acct-${i % 10}`, amount: i })
      sent.push(`${transfer.account_id}:${transfer.amount}`)
      await a.transfers.send({ value: transfer })
    }
    await waitFor(() => a.processed.length + b.processed.length >= 260, 5000, 'all processed after leave')
    // Read to the end (both topics committed up to their last offset), so a record processed twice shows.
    const memory = brokerOf(broker)
    const topics = ['transfers', 'totals-transfers-Transfer.account_id-repartition']
    const readToEnd = async () => {
      await a.app.commit()
      return topics.every((topic) =>
        [0, 1, 2, 3].every(
          (partition) =>
            (memory.group('workers').committed({ topic, partition }) ?? 0) === memory.log({ topic, partition }).latest,
        ),
      )
    }
    await waitFor(readToEnd, 5000, 'every record committed')
    const all = [...a.processed, ...b.processed].sort()
    expect(all).toEqual(sent.sort())
  })
})
