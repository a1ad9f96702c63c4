// Exactly-once on the memory transport: outputs, table changes and offsets commit together or not at all.
import { describe, expect, it, vi } from 'vitest'
import { MemoryTransport } from '../../src/transport/memory/transport.ts'
import { brokerOf, stopAfterEach, waitFor } from '../helpers.ts'
import { committedRecords, relayWorker } from './relay-worker.ts'

const apps = stopAfterEach()

const N = 2_000
const KEYS = 17

function worker(broker: string, id: string) {
  return relayWorker(apps, broker, id, 'eos', {
    processingGuarantee: (process.env.EOS_TEST_GUARANTEE as never) ?? 'exactly_once',
  })
}

/**
 * The memory equivalent of kill -9: the broker breaks the worker's group member, so the group drops it without a
 * revoke (nothing committed on the way out) and gives its partitions to the others; its actors may still be
 * finishing events (a zombie), and its open transaction is left to be aborted.
 */
function kill(broker: string, memberId: string): void {
  void brokerOf(broker).group('eos-app').breakMember(memberId)
}

describe('exactly-once (memory)', () => {
  it('a worker killed mid-stream: every input gives exactly one committed output and the counts are exact', async () => {
    const broker = `memory://eos-${Math.random()}`
    const a = worker(broker, 'eos-app')
    await a.app.start()
    const [victim] = brokerOf(broker).group('eos-app').memberIds
    const b = worker(broker, 'eos-app')
    await b.app.start()
    const truth = new Map<string, number>()
    // Input from a plain producer (what the apps send themselves goes into their transactions).
    const input = new MemoryTransport({ url: broker }).createProducer()
    for (let i = 0; i < N; i++) {
      const key = `k${i % KEYS}`
      truth.set(key, (truth.get(key) ?? 0) + 1)
      await input.send([{ topic: 'eos-in', key: Buffer.from(JSON.stringify(key)), value: Buffer.from(String(i)) }])
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve))
      if (i === N / 2) kill(broker, victim)
    }
    // The killed worker stops with the broken member's error.
    await expect(a.app.done).rejects.toMatchObject({ code: expect.any(String) })
    const memory = brokerOf(broker)
    const group = memory.group(b.app.groupId)
    await waitFor(
      () =>
        [0, 1, 2, 3].every(
          (p) =>
            group.committed({ topic: 'eos-in', partition: p }) === memory.log({ topic: 'eos-in', partition: p }).latest,
        ),
      20_000,
      'every input committed',
    )
    const outputs = await committedRecords(broker, 'eos-out')
    const values = outputs.map((r) => JSON.parse(r.value!.toString()) as number).sort((x, y) => x - y)
    expect(values.length).toBe(N)
    expect(new Set(values).size).toBe(N)
    for (const [key, count] of truth) expect(b.counts.get(key)).toBe(count)
  })
})

describe('exactly-once transactional ids', () => {
  it('a static member takes its instance id (a replacement fences the dead one at once), others a fresh one', async () => {
    const ids: string[] = []
    const create = MemoryTransport.prototype.createTransactionalProducer
    const spy = vi.spyOn(MemoryTransport.prototype, 'createTransactionalProducer').mockImplementation(function (
      this: MemoryTransport,
      options,
    ) {
      ids.push(options.transactionalId)
      return create.call(this, options)
    })
    try {
      const broker = `memory://eos-ids-${Math.random()}`
      for (const options of [{ brokerGroupInstanceId: 'worker-1' }, {}, {}]) {
        const { app } = relayWorker(apps, broker, 'ids-app', 'ids', { processingGuarantee: 'exactly_once', ...options })
        await app.start()
        await app.stop()
      }
    } finally {
      spy.mockRestore()
    }
    expect(ids[0]).toBe('ids-app-worker-1')
    expect(ids[1]).toMatch(/^ids-app-[0-9a-f-]{36}$/)
    expect(ids[2]).not.toBe(ids[1])
  })
})
