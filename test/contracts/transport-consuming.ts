/** The consuming half of the transport contract: groups (commits, rebalances, standbys, pause, seek) and readers. */
import { describe, expect, it } from 'vitest'
import { CopartitionedAssignor } from '../../src/transport/assignor.ts'
import { tpKey } from '../../src/transport/types.ts'
import { waitFor } from '../helpers.ts'
import { type ContractContext, partitionsOf, Recorder, uniqueName } from './transport-helpers.ts'

export function consumingContract(ctx: ContractContext): void {
  const { topic, producer, consumer, sendValues, wait } = ctx

  describe('consuming in a group', () => {
    it('resolves start after onAssigned and reports the assignment', async () => {
      const name = await topic(2)
      const r = new Recorder()
      const c = consumer(r, { groupId: uniqueName('g'), topics: [name] })
      await c.start()
      expect(r.assigned.length).toBeGreaterThanOrEqual(1)
      expect(partitionsOf(r.assigned.at(-1)!.actives, name)).toEqual([0, 1])
      expect(partitionsOf(c.assignment().actives, name)).toEqual([0, 1])
      await c.close()
      expect(partitionsOf(r.revoked.at(-1) ?? [], name)).toEqual([0, 1])
    })

    it('delivers batches in offset order per partition, within maxBatchSize, one at a time', async () => {
      const name = await topic(3)
      const p = producer()
      for (let i = 0; i < 60; i++)
        await p.send([{ topic: name, key: Buffer.from(`k${i}`), value: Buffer.from(`${i}`) }])
      const r = new Recorder({ delayMs: 1 })
      await consumer(r, { groupId: uniqueName('g'), topics: [name], maxBatchSize: 7 }).start()
      await waitFor(
        () => r.records.length === 60,
        wait.timeoutMs,
        () => `60 records, got ${r.records.length}`,
      )
      expect(Math.max(...r.batches)).toBeLessThanOrEqual(7)
      expect(r.maxConcurrent).toBe(1)
      for (const partition of [0, 1, 2]) {
        const offsets = r.from(name, partition).map((rec) => rec.offset)
        expect(offsets).toEqual(offsets.map((_, i) => i))
      }
    })

    it('resumes a group from its committed offsets', async () => {
      const name = await topic(2)
      const groupId = uniqueName('g')
      await sendValues(producer(), name, 0, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
      const r1 = new Recorder()
      const c1 = consumer(r1, { groupId, topics: [name] })
      await c1.start()
      await waitFor(() => r1.records.length === 10, wait.timeoutMs, 'first consumer reads 10')
      await c1.commit([{ topic: name, partition: 0, offset: 6 }])
      const committed = await c1.committed([
        { topic: name, partition: 0 },
        { topic: name, partition: 1 },
      ])
      expect([...committed]).toEqual([[tpKey({ topic: name, partition: 0 }), 6]])
      await c1.close()

      const r2 = new Recorder()
      await consumer(r2, { groupId, topics: [name] }).start()
      await waitFor(
        () => r2.records.length === 4,
        wait.timeoutMs,
        () => `4 records after the commit, got ${r2.values()}`,
      )
      expect(r2.values()).toEqual(['6', '7', '8', '9'])
    })

    it('starts a partition without commits at the latest offset when asked', async () => {
      const name = await topic(1)
      const p = producer()
      await sendValues(p, name, 0, ['old-0', 'old-1'])
      const latest = new Recorder()
      await consumer(latest, { groupId: uniqueName('g'), topics: [name], autoOffsetReset: 'latest' }).start()
      await sendValues(p, name, 0, ['new-0', 'new-1'])
      const earliest = new Recorder()
      await consumer(earliest, { groupId: uniqueName('g'), topics: [name], autoOffsetReset: 'earliest' }).start()
      await waitFor(() => earliest.records.length === 4 && latest.records.length === 2, wait.timeoutMs, 'both readers')
      expect(latest.values()).toEqual(['new-0', 'new-1'])
      expect(earliest.values()).toEqual(['old-0', 'old-1', 'new-0', 'new-1'])
    })

    it('splits co-partitioned topics between members and rebalances without losing or repeating records', async () => {
      const [a, b] = [await topic(4, 'copart-a'), await topic(4, 'copart-b')]
      const groupId = uniqueName('g')
      const p = producer()
      let n = 0
      const produce = async (count: number) => {
        const batch = []
        for (let i = 0; i < count; i++, n++) {
          for (const t of [a, b]) batch.push({ topic: t, key: Buffer.from(`k${n}`), value: Buffer.from(`${t}:${n}`) })
        }
        await p.send(batch)
      }
      const total = () => r1.records.length + r2.records.length
      const r1 = new Recorder({ commitOnRevoke: true })
      const r2 = new Recorder({ commitOnRevoke: true })
      const c1 = consumer(r1, { groupId, topics: [a, b] })
      await c1.start()
      expect(c1.assignment().actives).toHaveLength(8)
      await produce(20)
      await waitFor(
        () => total() === 40,
        wait.timeoutMs,
        () => `40 records, got ${total()}`,
      )

      const c2 = consumer(r2, { groupId, topics: [a, b] })
      await c2.start()
      await waitFor(
        () => c1.assignment().actives.length === 4 && c2.assignment().actives.length === 4,
        wait.timeoutMs,
        'two members of four partitions each',
      )
      for (const c of [c1, c2]) {
        expect(partitionsOf(c.assignment().actives, a)).toHaveLength(2)
        expect(partitionsOf(c.assignment().actives, a)).toEqual(partitionsOf(c.assignment().actives, b))
      }
      expect([...partitionsOf(c1.assignment().actives, a), ...partitionsOf(c2.assignment().actives, a)].sort()).toEqual(
        [0, 1, 2, 3],
      )
      await produce(20)
      await waitFor(
        () => total() === 80,
        wait.timeoutMs,
        () => `80 records, got ${total()}`,
      )
      expect(r2.records.length).toBeGreaterThan(0)

      await c2.close()
      await waitFor(() => c1.assignment().actives.length === 8, wait.timeoutMs, 'the survivor takes everything back')
      await produce(20)
      await waitFor(
        () => total() === 120,
        wait.timeoutMs,
        () => `120 records, got ${total()}`,
      )

      const seen = [...r1.records, ...r2.records].map((r) => `${r.topic}/${r.partition}/${r.offset}`)
      expect(new Set(seen).size).toBe(seen.length)
      const values = [...r1.records, ...r2.records].map((r) => r.value?.toString()).sort()
      const expected = Array.from({ length: 60 }, (_, i) => [`${a}:${i}`, `${b}:${i}`])
        .flat()
        .sort()
      expect(values).toEqual(expected)
    })

    it('fetches standby partitions chosen by the assignor, apart from the actives', async () => {
      const [source, changelog] = [await topic(2, 'standby-src'), await topic(2, 'standby-changelog')]
      const groupId = uniqueName('g')
      const isChangelog = (t: string) => t === changelog
      const recorders = [new Recorder(), new Recorder()]
      const consumers = recorders.map((r) =>
        consumer(r, {
          groupId,
          topics: [source, changelog],
          assignor: new CopartitionedAssignor({ standbys: 1, standbyTopics: isChangelog }),
        }),
      )
      for (const c of consumers) await c.start()
      await waitFor(
        () => consumers.every((c) => c.assignment().actives.length === 2 && c.assignment().standbys.length === 1),
        wait.timeoutMs,
        'one active partition number and one standby each',
      )
      const [a, b] = consumers.map((c) => c.assignment())
      expect(partitionsOf(a.standbys, changelog)).toEqual(partitionsOf(b.actives, changelog))
      expect(partitionsOf(b.standbys, changelog)).toEqual(partitionsOf(a.actives, changelog))
      expect(partitionsOf(a.standbys, source)).toEqual([])
      await sendValues(producer(), changelog, 0, ['c0'])
      await sendValues(producer(), changelog, 1, ['c1'])
      // Each changelog record reaches its active holder and its standby holder.
      await waitFor(
        () => recorders.every((r) => r.from(changelog).length === 2),
        wait.timeoutMs,
        'changelog on both members',
      )
    })

    it('pauses and resumes partitions', async () => {
      const name = await topic(2)
      const r = new Recorder()
      const c = consumer(r, { groupId: uniqueName('g'), topics: [name] })
      await c.start()
      c.pause([{ topic: name, partition: 0 }])
      const p = producer()
      await sendValues(p, name, 0, ['p0-a', 'p0-b'])
      await sendValues(p, name, 1, ['p1-a', 'p1-b', 'marker'])
      await waitFor(() => r.values().includes('marker'), wait.timeoutMs, 'the unpaused partition')
      expect(r.from(name, 0)).toEqual([])
      c.resume([{ topic: name, partition: 0 }])
      await waitFor(() => r.from(name, 0).length === 2, wait.timeoutMs, 'the resumed partition')
      expect(r.from(name, 0).map((rec) => rec.value?.toString())).toEqual(['p0-a', 'p0-b'])
    })

    it('seeks an assigned partition', async () => {
      const name = await topic(1)
      await sendValues(producer(), name, 0, ['0', '1', '2', '3', '4'])
      const r = new Recorder()
      const c = consumer(r, { groupId: uniqueName('g'), topics: [name] })
      await c.start()
      await waitFor(() => r.records.length === 5, wait.timeoutMs, 'five records')
      c.seek({ topic: name, partition: 0, offset: 2 })
      await waitFor(
        () => r.records.length === 8,
        wait.timeoutMs,
        () => `three records again, got ${r.values()}`,
      )
      expect(r.values()).toEqual(['0', '1', '2', '3', '4', '2', '3', '4'])
    })
  })

  describe('manual assignment', () => {
    it('reads exactly the assigned partitions from the given offsets, and follows new records', async () => {
      const name = await topic(2)
      const p = producer()
      await sendValues(p, name, 0, ['a0', 'a1', 'a2', 'a3', 'a4'])
      await sendValues(p, name, 1, ['b0', 'b1', 'b2', 'b3', 'b4'])
      const r = new Recorder()
      const c = consumer(r, {})
      await c.start()
      await c.assign([{ topic: name, partition: 1, offset: 2 }])
      await waitFor(
        () => r.records.length === 3,
        wait.timeoutMs,
        () => `three records, got ${r.values()}`,
      )
      expect(r.values()).toEqual(['b2', 'b3', 'b4'])
      expect(c.assignment().actives).toEqual([{ topic: name, partition: 1 }])
      await sendValues(p, name, 1, ['b5'])
      await waitFor(() => r.records.length === 4, wait.timeoutMs, 'the new record')

      await c.assign([{ topic: name, partition: 0, offset: 4 }])
      await waitFor(
        () => r.records.length === 5,
        wait.timeoutMs,
        () => `the reassigned partition, got ${r.values()}`,
      )
      expect(r.values().slice(3)).toEqual(['b5', 'a4'])
      expect(r.assigned).toEqual([])
    })
  })
}
