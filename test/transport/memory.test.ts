import { afterEach, describe, expect, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import { MemoryBrokerRegistry, MemoryTransport, memoryBrokerName } from '../../src/transport/memory/index.ts'
import { SEGMENT_SIZE } from '../../src/transport/memory/log.ts'
import type { Consumer, TopicPartition } from '../../src/transport/types.ts'
import { transportContract } from '../contracts/transport.ts'
import { partitionsOf, Recorder, uniqueName } from '../contracts/transport-helpers.ts'
import { waitFor } from '../helpers.ts'

transportContract('memory', async () => {
  const registry = new MemoryBrokerRegistry()
  return {
    transport: new MemoryTransport({ url: 'memory://contract', registry }),
    cleanup: async () => registry.clear(),
  }
})

const wait = { timeoutMs: 2_000 }

describe('MemoryTransport', () => {
  const registry = new MemoryBrokerRegistry()
  const open: { close(): Promise<void> }[] = []
  afterEach(async () => {
    for (const t of open.splice(0).reverse()) await t.close()
    registry.clear()
  })
  function transport(url = 'memory://test', options: ConstructorParameters<typeof MemoryTransport>[0] = {}) {
    const t = new MemoryTransport({ url, registry, ...options })
    open.push(t)
    return t
  }
  function start(t: MemoryTransport, recorder: Recorder, groupId: string, topics: string[]): Promise<Consumer> {
    const c = t.createConsumer({ groupId, topics, handler: recorder })
    recorder.consumer = c
    return c.start().then(() => c)
  }

  describe('broker URLs', () => {
    it('shares one broker per name and isolates different names', async () => {
      await transport('memory://one').ensureTopics([{ name: 't', partitions: 2 }])
      expect((await transport('memory://one').describeTopics(['t'])).get('t')?.partitions).toBe(2)
      expect((await transport('memory://two').describeTopics(['t'])).size).toBe(0)
      expect(registry.has('one')).toBe(true)
    })

    it('parses memory URLs', () => {
      expect(memoryBrokerName('memory://')).toBe('')
      expect(memoryBrokerName('memory://app-a')).toBe('app-a')
      expect(memoryBrokerName('memory://app-a/')).toBe('app-a')
      expect(memoryBrokerName('memory:')).toBe('')
      for (const bad of ['kafka://localhost:9092', 'memory://a/b', 'mem://x']) {
        expect(() => memoryBrokerName(bad)).toThrow(expect.objectContaining({ code: 'FST_BROKER_URL_INVALID' }))
      }
    })

    it('starts empty again after the registry forgets a broker', async () => {
      await transport('memory://x').ensureTopics([{ name: 't', partitions: 1 }])
      registry.delete('x')
      expect((await transport('memory://x').describeTopics(['t'])).size).toBe(0)
    })
  })

  describe('topics', () => {
    it('auto-creates a topic on produce with the default partition count', async () => {
      const t = transport('memory://auto', { defaultPartitions: 3 })
      const [m] = await t.createProducer().send([{ topic: 'adhoc', key: null, value: Buffer.from('v') }])
      expect(m).toMatchObject({ topic: 'adhoc', offset: 0 })
      expect((await t.describeTopics(['adhoc'])).get('adhoc')?.partitions).toBe(3)
    })

    it('refuses produce to a missing topic when auto-creation is off', async () => {
      const t = transport('memory://strict', { autoCreateTopics: false })
      const error = await t
        .createProducer()
        .send([{ topic: 'nope', key: null, value: null }])
        .catch((e: unknown) => e)
      expect(isFaustusError(error, 'FST_TOPIC_UNKNOWN')).toBe(true)
    })

    it('stores topic config and validates partition counts', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 'c', partitions: 1, config: { 'cleanup.policy': 'compact' } }])
      expect(t.broker.topic('c')?.config).toEqual({ 'cleanup.policy': 'compact' })
      await expect(t.ensureTopics([{ name: 'z', partitions: 0 }])).rejects.toMatchObject({ code: 'FST_TRANSPORT' })
    })

    it('fails listOffsets of an unknown partition', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      await expect(t.listOffsets([{ topic: 't', partition: 1 }])).rejects.toMatchObject({ code: 'FST_TOPIC_UNKNOWN' })
    })
  })

  describe('producer', () => {
    it('rejects an out-of-range partition and sends after close', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 't', partitions: 2 }])
      const p = t.createProducer()
      await expect(p.send([{ topic: 't', partition: 2, key: null, value: null }])).rejects.toMatchObject({
        code: 'FST_TRANSPORT',
      })
      await p.close()
      await expect(p.send([{ topic: 't', key: null, value: null }])).rejects.toMatchObject({ code: 'FST_TRANSPORT' })
    })

    it('gives records without headers an empty header map', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      await t.createProducer().send([{ topic: 't', key: null, value: Buffer.from('v') }])
      expect(t.broker.log({ topic: 't', partition: 0 }).at(0)?.headers).toEqual({})
    })
  })

  describe('groups', () => {
    it('wakes an idle consumer as soon as a record is produced', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      const r = new Recorder()
      await start(t, r, 'g', ['t'])
      await t.createProducer().send([{ topic: 't', key: null, value: Buffer.from('x') }])
      await new Promise((resolve) => setImmediate(resolve))
      expect(r.values()).toEqual(['x'])
    })

    it('assigns a topic created after the group subscribed to it', async () => {
      const t = transport()
      const r = new Recorder()
      const c = await start(t, r, 'g', ['later'])
      expect(c.assignment().actives).toEqual([])
      await t.ensureTopics([{ name: 'later', partitions: 2 }])
      await waitFor(() => c.assignment().actives.length === 2, wait.timeoutMs, 'assignment of the new topic')
    })

    it('shares partitions between apps on separate transports of one URL', async () => {
      await transport().ensureTopics([{ name: 't', partitions: 6 }])
      const recorders = [new Recorder(), new Recorder(), new Recorder()]
      const consumers: Consumer[] = []
      for (const r of recorders) consumers.push(await start(transport(), r, 'app', ['t']))
      const shares = consumers.map((c) => partitionsOf(c.assignment().actives, 't'))
      expect(shares.map((s) => s.length)).toEqual([2, 2, 2])
      expect(shares.flat().sort()).toEqual([0, 1, 2, 3, 4, 5])
    })

    it('revokes only after the batch in flight is handled', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 't', partitions: 2 }])
      const events: string[] = []
      let release!: () => void
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const c1 = t.createConsumer({
        groupId: 'g',
        topics: ['t'],
        handler: {
          onAssigned: () => {},
          onRevoked: () => {
            events.push('revoked')
          },
          onRecords: async () => {
            events.push('batch')
            await gate
            events.push('batch done')
          },
        },
      })
      await c1.start()
      await t.createProducer().send([{ topic: 't', partition: 0, key: null, value: null }])
      await waitFor(() => events.includes('batch'), wait.timeoutMs, 'the batch')
      const joining = start(t, new Recorder(), 'g', ['t'])
      const group = registry.get('test').group('g')
      await waitFor(() => group.rebalancing, wait.timeoutMs, 'the rebalance')
      // The rebalance runs, and its revoke waits for the batch.
      expect(events).toEqual(['batch'])
      release()
      await joining
      // (Nothing was committed, so the record is read again after the rebalance: at-least-once.)
      expect(events.slice(0, 3)).toEqual(['batch', 'batch done', 'revoked'])
    })

    it('drops a member whose handler throws; another member reads its uncommitted records', async () => {
      const errors: unknown[] = []
      const t = transport('memory://crash', { onConsumerError: (e) => errors.push(e) })
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      const bad = t.createConsumer({
        groupId: 'g',
        topics: ['t'],
        handler: {
          onAssigned: () => {},
          onRevoked: () => {},
          onRecords: () => {
            throw new Error('boom')
          },
        },
      })
      await bad.start()
      const good = new Recorder()
      const survivor = t.createConsumer({ groupId: 'g', topics: ['t'], handler: good })
      await survivor.start()
      // Partition 0 is the bad member's (joined first); the survivor gets it after the crash.
      expect(survivor.assignment().actives).toEqual([])
      await t.createProducer().send([{ topic: 't', key: null, value: Buffer.from('poison') }])
      await waitFor(() => good.values().includes('poison'), wait.timeoutMs, 'the record re-read by the survivor')
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({ code: 'FST_TRANSPORT', cause: new Error('boom') })
      await bad.close()
    })

    it('rejects start when onAssigned throws', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      const c = t.createConsumer({
        groupId: 'g',
        topics: ['t'],
        handler: {
          onAssigned: () => {
            throw new Error('no')
          },
          onRevoked: () => {},
          onRecords: () => {},
        },
      })
      await expect(c.start()).rejects.toThrow('no')
    })

    it('closes its consumers with the transport, handing partitions to the remaining members', async () => {
      const keep = transport()
      await keep.ensureTopics([{ name: 't', partitions: 2 }])
      const leaving = new MemoryTransport({ url: 'memory://test', registry })
      const stay = await start(keep, new Recorder(), 'g', ['t'])
      await start(leaving, new Recorder(), 'g', ['t'])
      expect(stay.assignment().actives).toHaveLength(1)
      await leaving.close()
      expect(stay.assignment().actives).toHaveLength(2)
    })
  })

  describe('retention', () => {
    const fill = async (t: MemoryTransport, topic: string, count: number, timestamp?: number) => {
      const p = t.createProducer()
      for (let i = 0; i < count; i += 4096) {
        const n = Math.min(4096, count - i)
        await p.send(Array.from({ length: n }, () => ({ topic, key: null, value: null, timestamp })))
      }
    }
    const earliest = async (t: MemoryTransport, topic: string) =>
      (await t.listOffsets([{ topic, partition: 0 }]))[0].earliest

    it('drops whole segments beyond the record limit when no group follows the topic', async () => {
      const t = transport('memory://ret', { retentionRecords: SEGMENT_SIZE })
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      await fill(t, 't', SEGMENT_SIZE * 3 + 1)
      expect(await earliest(t, 't')).toBe(SEGMENT_SIZE * 2)
      const [offsets] = await t.listOffsets([{ topic: 't', partition: 0 }])
      expect(offsets.latest).toBe(SEGMENT_SIZE * 3 + 1)
      expect(t.broker.log({ topic: 't', partition: 0 }).at(SEGMENT_SIZE * 2)?.offset).toBe(SEGMENT_SIZE * 2)
    })

    it('keeps records a following group has not committed, and drops them once it has', async () => {
      const t = transport('memory://ret', { retentionRecords: SEGMENT_SIZE })
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      const r = new Recorder()
      const c = await start(t, r, 'g', ['t'])
      await fill(t, 't', SEGMENT_SIZE * 3)
      expect(await earliest(t, 't')).toBe(0)
      await waitFor(() => r.records.length === SEGMENT_SIZE * 3, wait.timeoutMs, 'all records')
      await c.commit([{ topic: 't', partition: 0, offset: SEGMENT_SIZE * 3 }])
      await fill(t, 't', SEGMENT_SIZE)
      expect(await earliest(t, 't')).toBe(SEGMENT_SIZE * 3)
    })

    it('applies the topic retention.ms, and never trims compacted topics', async () => {
      const t = transport('memory://ret', { retentionRecords: SEGMENT_SIZE * 100 })
      await t.ensureTopics([
        { name: 'timed', partitions: 1, config: { 'retention.ms': '60000' } },
        { name: 'compact', partitions: 1, config: { 'cleanup.policy': 'compact', 'retention.ms': '1' } },
      ])
      await fill(t, 'timed', SEGMENT_SIZE, 1_000)
      await fill(t, 'timed', SEGMENT_SIZE)
      expect(await earliest(t, 'timed')).toBe(SEGMENT_SIZE)
      await fill(t, 'compact', SEGMENT_SIZE * 3, 1_000)
      expect(await earliest(t, 'compact')).toBe(0)
    })

    it('moves a reader overtaken by retention to the oldest record left', async () => {
      const t = transport('memory://ret', { retentionRecords: SEGMENT_SIZE })
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      const r = new Recorder()
      const reader = t.createConsumer({ handler: r })
      await reader.assign([{ topic: 't', partition: 0, offset: 0 }])
      reader.pause([{ topic: 't', partition: 0 }])
      await reader.start()
      await fill(t, 't', SEGMENT_SIZE * 2 + 5)
      reader.resume([{ topic: 't', partition: 0 }])
      await waitFor(
        () => r.records.length === SEGMENT_SIZE + 5,
        wait.timeoutMs,
        () => `records left, got ${r.records.length}`,
      )
      expect(r.records[0].offset).toBe(SEGMENT_SIZE)
      await reader.close()
    })
  })

  describe('consumer misuse', () => {
    it('refuses commits without a group, manual assignment in a group, and seeks of unassigned partitions', async () => {
      const t = transport()
      await t.ensureTopics([{ name: 't', partitions: 1 }])
      const reader = t.createConsumer({ handler: new Recorder() })
      await expect(reader.commit([{ topic: 't', partition: 0, offset: 1 }])).rejects.toMatchObject({
        code: 'FST_TRANSPORT',
      })
      const member = t.createConsumer({ groupId: uniqueName('g'), topics: ['t'], handler: new Recorder() })
      await expect(member.assign([{ topic: 't', partition: 0, offset: 0 }])).rejects.toMatchObject({
        code: 'FST_TRANSPORT',
      })
      const unassigned: TopicPartition = { topic: 't', partition: 0 }
      expect(() => reader.seek({ ...unassigned, offset: 0 })).toThrow(
        expect.objectContaining({ code: 'FST_TRANSPORT' }),
      )
      await reader.close()
      await member.close()
    })
  })
})
