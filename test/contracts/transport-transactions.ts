/** The transactional half of the transport contract: visibility to read_committed readers, offsets, fencing. */
import { describe, expect, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import type { Consumer } from '../../src/transport/types.ts'
import { tpKey } from '../../src/transport/types.ts'
import { waitFor } from '../helpers.ts'
import { type ContractContext, Recorder, uniqueName } from './transport-helpers.ts'

export function transactionsContract(ctx: ContractContext): void {
  const { topic, producer, consumer, transactional, wait } = ctx
  const record = (name: string, value: string) => ({ topic: name, partition: 0, key: null, value: Buffer.from(value) })

  /** A reader of partition 0 of `name` from offset 0, with a marker record to know it has read everything before. */
  async function reader(name: string, isolationLevel: 'read_committed' | 'read_uncommitted') {
    const r = new Recorder()
    const c = consumer(r, { isolationLevel })
    await c.assign([{ topic: name, partition: 0, offset: 0 }])
    await c.start()
    return r
  }

  async function readToMarker(name: string, r: Recorder, marker: string): Promise<string[]> {
    await producer().send([record(name, marker)])
    await waitFor(() => r.values().includes(marker), wait.timeoutMs, `marker ${marker}`)
    return r.values().filter((v) => v !== marker)
  }

  describe('transactions', () => {
    it('hides a transaction from read_committed readers until it commits, and an aborted one for good', async () => {
      const name = await topic(1, 'txn')
      const p = transactional(uniqueName('tx'))
      const committed = await reader(name, 'read_committed')
      const uncommitted = await reader(name, 'read_uncommitted')
      await p.send([record(name, 'a1'), record(name, 'a2')])
      await p.abort()
      await p.send([record(name, 'c1')])
      await waitFor(() => uncommitted.values().includes('c1'), wait.timeoutMs, 'the open transaction read uncommitted')
      expect(committed.values()).toEqual([])
      await p.commit()
      expect(await readToMarker(name, committed, 'end')).toEqual(['c1'])
      expect(uncommitted.values().slice(0, 3)).toEqual(['a1', 'a2', 'c1'])
    })

    it('seals a transaction at commit: a send made while it commits goes into the next transaction', async () => {
      const name = await topic(1, 'txn-seal')
      const p = transactional(uniqueName('tx'))
      const committed = await reader(name, 'read_committed')
      await p.send([record(name, 'first')])
      const committing = p.commit()
      const late = p.send([record(name, 'second')])
      await committing
      await late
      // Had it gone into the committed transaction, the abort could not take it back.
      await p.abort()
      expect(await readToMarker(name, committed, 'end')).toEqual(['first'])
    })

    it('lists the last stable offset as the end for read_committed, the high watermark for read_uncommitted', async () => {
      const name = await topic(1, 'txn-lso')
      const p = transactional(uniqueName('tx'))
      await producer().send([record(name, 'plain')])
      await p.send([record(name, 'open')])
      const tp = [{ topic: name, partition: 0 }]
      const stable = await ctx.transport().listOffsets(tp)
      const high = await ctx.transport().listOffsets(tp, { isolationLevel: 'read_uncommitted' })
      expect(stable[0].latest).toBe(1)
      expect(high[0].latest).toBeGreaterThanOrEqual(2)
      await p.commit()
    })

    it('commits offsets with the transaction, with the group metadata of a current member', async () => {
      const source = await topic(1, 'txn-src')
      const sink = await topic(1, 'txn-sink')
      const groupId = uniqueName('g')
      await producer().send([record(source, 'x')])
      const r = new Recorder()
      const c: Consumer = consumer(r, { groupId, topics: [source] })
      await c.start()
      await waitFor(() => r.records.length === 1, wait.timeoutMs, 'the source record')
      const group = c.groupMetadata()
      expect(group?.groupId).toBe(groupId)
      const p = transactional(uniqueName('tx'))
      await p.send([record(sink, 'y')])
      await p.sendOffsets([{ topic: source, partition: 0, offset: 1 }], group!)
      // (Not read before the commit: a read of committed offsets waits for a pending transaction's, KIP-447.)
      await p.commit()
      const after = await c.committed([{ topic: source, partition: 0 }])
      expect(after.get(tpKey({ topic: source, partition: 0 }))).toBe(1)
    })

    it('refuses offsets of a stale generation (a zombie) with FST_PRODUCER_FENCED', async () => {
      const source = await topic(2, 'txn-zombie')
      const groupId = uniqueName('g')
      const first = consumer(new Recorder(), { groupId, topics: [source] })
      await first.start()
      const stale = first.groupMetadata()!
      // A second member joins: a new generation; the first one's metadata is now a zombie's.
      const second = consumer(new Recorder(), { groupId, topics: [source] })
      await second.start()
      await waitFor(
        () => first.groupMetadata()?.generationId !== stale.generationId,
        wait.timeoutMs,
        'the first to rejoin',
      )
      const p = transactional(uniqueName('tx'))
      const refused = await p
        .sendOffsets([{ topic: source, partition: 0, offset: 1 }], stale)
        .then(() => p.commit())
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(isFaustusError(refused) && refused.code).toBe('FST_PRODUCER_FENCED')
      await p.abort()
      const committed = await first.committed([{ topic: source, partition: 0 }])
      expect(committed.size).toBe(0)
    })

    it('a new producer with the same transactional id fences the old one and aborts its transaction', async () => {
      const name = await topic(1, 'txn-fence')
      const id = uniqueName('tx')
      const old = transactional(id)
      await old.send([record(name, 'zombie')])
      const fresh = transactional(id)
      await fresh.send([record(name, 'fresh')])
      await fresh.commit()
      const failed = await old
        .send([record(name, 'late')])
        .then(() => old.commit())
        .then(
          () => undefined,
          (error: unknown) => error,
        )
      expect(isFaustusError(failed) && failed.code).toBe('FST_PRODUCER_FENCED')
      const committed = await reader(name, 'read_committed')
      expect(await readToMarker(name, committed, 'end')).toEqual(['fresh'])
    })
  })
}
