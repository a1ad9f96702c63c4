/** Kafka driver specifics beyond the transport contract: deadlines, the group protocol, rebalances under load. */
import { createServer } from 'node:net'
import { Admin } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import type { Assignment, Assignor, GroupMember, MemberAssignment, TopicPartition } from '../../src/transport/types.ts'
import { Recorder, uniqueName } from '../contracts/transport-helpers.ts'
import { waitFor } from '../helpers.ts'
import { quietLogger } from './kafka-helpers.ts'

const bootstrap = inject('kafkaBootstrap')
const wait = { timeoutMs: 60_000 }

function kafka(extra: Partial<ConstructorParameters<typeof KafkaTransport>[0]> = {}): KafkaTransport {
  return new KafkaTransport({
    url: `kafka://${bootstrap}`,
    clientId: 'faustus-driver-test',
    heartbeatIntervalMs: 300,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    logger: quietLogger(),
    ...extra,
  })
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/**
 * A test assignor: each member announces `sub:<label>`; the leader gives every member all partitions of the first
 * member (sorted by id) and a user data naming the member and echoing what it announced. Records what it saw.
 */
class EchoAssignor implements Assignor {
  readonly name = 'faust'
  readonly version = 4
  readonly assignRuns: GroupMember[][] = []
  readonly received: (Buffer | null)[] = []

  constructor(readonly label: string) {}

  subscriptionUserData(): Buffer {
    return Buffer.from(`sub:${this.label}`)
  }

  assign(input: { members: GroupMember[]; partitionsPerTopic: Map<string, number> }): Map<string, MemberAssignment> {
    this.assignRuns.push(input.members)
    const members = [...input.members].sort((a, b) => a.memberId.localeCompare(b.memberId))
    const all: TopicPartition[] = []
    for (const [topic, count] of input.partitionsPerTopic) {
      for (let partition = 0; partition < count; partition++) all.push({ topic, partition })
    }
    const out = new Map<string, MemberAssignment>()
    members.forEach((m, i) => {
      out.set(m.memberId, {
        partitions: all.filter((_, j) => j % members.length === i),
        userData: Buffer.from(`for:${m.memberId}:${m.userData?.toString()}`),
      })
    })
    return out
  }

  decodeAssignment(partitions: TopicPartition[], userData: Buffer | null): Assignment {
    this.received.push(userData)
    return { actives: partitions, standbys: [] }
  }
}

describe('kafka driver', () => {
  let transport: KafkaTransport
  const topics: string[] = []

  beforeAll(async () => {
    transport = kafka()
    await transport.connect()
  })

  afterAll(async () => {
    if (topics.length > 0) await transport.deleteTopics(topics)
    await transport.close()
  })

  async function topic(partitions: number): Promise<string> {
    const name = uniqueName('driver')
    await transport.ensureTopics([{ name, partitions, replicas: 1 }])
    topics.push(name)
    return name
  }

  it('fails with FST_BROKER_UNAVAILABLE naming the address within the connect deadline', async () => {
    const port = await closedPort()
    const logger = quietLogger()
    const dead = kafka({ url: `kafka://127.0.0.1:${port}`, connectTimeoutMs: 3_000, logger })
    const started = Date.now()
    const error = await dead.connect().catch((e: unknown) => e)
    const elapsed = Date.now() - started
    await dead.close()
    expect(isFaustusError(error, 'FST_BROKER_UNAVAILABLE')).toBe(true)
    expect((error as Error).message).toContain(`127.0.0.1:${port}`)
    expect(elapsed).toBeGreaterThanOrEqual(2_500)
    // A log line per retry, never a silent wait.
    expect(logger.lines.filter((l) => l.level === 'warn').length).toBeGreaterThanOrEqual(3)
  })

  it('fails sends and group joins on an unreachable broker with FST_BROKER_UNAVAILABLE after the deadline', async () => {
    const port = await closedPort()
    const dead = kafka({ url: `kafka://127.0.0.1:${port}`, connectTimeoutMs: 3_000 })
    try {
      const timed = async (run: () => Promise<unknown>) => {
        const started = Date.now()
        const error = await run().catch((e: unknown) => e)
        return { error, elapsed: Date.now() - started }
      }
      const producer = dead.createProducer()
      const send = await timed(() => producer.send([{ topic: 't', key: null, value: Buffer.from('x') }]))
      const consumer = dead.createConsumer({ groupId: 'g', topics: ['t'], handler: new Recorder() })
      const join = await timed(() => consumer.start())
      for (const { error, elapsed } of [send, join]) {
        expect(isFaustusError(error, 'FST_BROKER_UNAVAILABLE')).toBe(true)
        expect((error as Error).message).toContain(`127.0.0.1:${port}`)
        expect(elapsed).toBeGreaterThanOrEqual(2_500)
      }
    } finally {
      await dead.close()
    }
  })

  it('fails a send to a missing topic with FST_TOPIC_UNKNOWN, without waiting for the deadline', async () => {
    const producer = transport.createProducer()
    const error = await producer
      .send([{ topic: uniqueName('missing'), key: null, value: Buffer.from('x') }])
      .catch((e: unknown) => e)
    await producer.close()
    // Not the deadline's FST_BROKER_UNAVAILABLE: the broker's answer, typed.
    expect(isFaustusError(error, 'FST_TOPIC_UNKNOWN')).toBe(true)
  })

  it('splits large sends into batches the broker accepts, with consecutive offsets', async () => {
    const name = await topic(1)
    const producer = transport.createProducer()
    const value = Buffer.alloc(1_000, 'v')
    const sent = await producer.send(Array.from({ length: 3_000 }, () => ({ topic: name, key: null, value })))
    await producer.close()
    expect(sent.map((m) => m.offset)).toEqual(Array.from({ length: 3_000 }, (_, i) => i))
    const [offsets] = await transport.listOffsets([{ topic: name, partition: 0 }])
    expect(offsets.latest).toBe(3_000)
  })

  it('round-trips compressed batches', async () => {
    const name = await topic(1)
    const codecs = ['gzip', 'snappy', 'lz4', 'zstd'] as const
    for (const compression of codecs) {
      const producer = transport.createProducer({ compression })
      await producer.send(
        Array.from({ length: 50 }, (_, i) => ({ topic: name, key: null, value: Buffer.from(`${compression}-${i}`) })),
      )
      await producer.close()
    }
    const recorder = new Recorder()
    const reader = transport.createConsumer({ handler: recorder })
    await reader.start()
    await reader.assign([{ topic: name, partition: 0, offset: 0 }])
    await waitFor(
      () => recorder.records.length === 200,
      wait.timeoutMs,
      () => `200 records, got ${recorder.records.length}`,
    )
    await reader.close()
    expect(recorder.values()).toEqual(codecs.flatMap((c) => Array.from({ length: 50 }, (_, i) => `${c}-${i}`)))
  })

  it('starts a group whose committed offset retention deleted at the log start, and says so', async () => {
    const name = await topic(1)
    const groupId = uniqueName('g-deleted')
    const producer = transport.createProducer()
    await producer.send(
      ['0', '1', '2', '3', '4', '5'].map((v) => ({ topic: name, partition: 0, key: null, value: Buffer.from(v) })),
    )
    await producer.close()
    const first = new Recorder()
    const c1 = transport.createConsumer({ groupId, topics: [name], handler: first })
    await c1.start()
    await waitFor(() => first.records.length === 6, wait.timeoutMs, 'the first reader')
    await c1.commit([{ topic: name, partition: 0, offset: 2 }])
    await c1.close()
    // Retention (here: a records deletion) moves the log start past the committed offset.
    const admin = new Admin({ clientId: 'faustus-driver-test-admin', bootstrapBrokers: [bootstrap] })
    try {
      await admin.deleteRecords({ topics: [{ name, partitions: [{ partition: 0, offset: 4n }] }] })
    } finally {
      await admin.close()
    }
    const logger = quietLogger()
    const other = kafka({ logger })
    await other.connect()
    try {
      const second = new Recorder()
      await other.createConsumer({ groupId, topics: [name], handler: second }).start()
      await waitFor(() => second.records.length === 2, wait.timeoutMs, 'the records left')
      expect(second.values()).toEqual(['4', '5'])
      expect(logger.lines.some((l) => l.level === 'warn' && l.message.includes('committed offset 2'))).toBe(true)
    } finally {
      await other.close()
    }
  })

  it('clamps a seek outside the log to its bounds', async () => {
    const name = await topic(1)
    const producer = transport.createProducer()
    await producer.send(['0', '1', '2'].map((v) => ({ topic: name, key: null, value: Buffer.from(v) })))
    const logger = quietLogger()
    const own = kafka({ logger })
    const recorder = new Recorder()
    const reader = own.createConsumer({ handler: recorder })
    await reader.start()
    await reader.assign([{ topic: name, partition: 0, offset: 1_000 }])
    await waitFor(
      () => logger.lines.some((l) => /out of range.*moved to 3/.test(l.message)),
      wait.timeoutMs,
      'the clamp',
    )
    await producer.send([{ topic: name, key: null, value: Buffer.from('3') }])
    await waitFor(() => recorder.records.length === 1, wait.timeoutMs, 'the record after the end')
    reader.seek({ topic: name, partition: 0, offset: -5 })
    await waitFor(
      () => recorder.records.length === 5,
      wait.timeoutMs,
      () => `all again, got ${recorder.values()}`,
    )
    await own.close()
    await producer.close()
    expect(recorder.values()).toEqual(['3', '0', '1', '2', '3'])
  })

  it('rejects an existing topic with another partition count', async () => {
    const name = await topic(3)
    const error = await transport.ensureTopics([{ name, partitions: 6 }]).catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_TOPIC_PARTITIONS_MISMATCH')).toBe(true)
    expect((error as Error).message).toContain(name)
    expect((error as Error).message).toContain('3')
    expect((error as Error).message).toContain('6')
  })

  it('runs our assignor in a one-member group and announces protocol faust', async () => {
    const name = await topic(3)
    const groupId = uniqueName('g-one')
    const assignor = new EchoAssignor('solo')
    const recorder = new Recorder()
    const consumer = transport.createConsumer({ groupId, topics: [name], assignor, handler: recorder })
    await consumer.start()
    try {
      expect(assignor.assignRuns).toHaveLength(1)
      expect(assignor.assignRuns[0]).toHaveLength(1)
      expect(assignor.assignRuns[0][0].userData?.toString()).toBe('sub:solo')
      expect(assignor.assignRuns[0][0].topics).toEqual([name])
      const memberId = assignor.assignRuns[0][0].memberId
      expect(assignor.received.map((b) => b?.toString())).toEqual([`for:${memberId}:sub:solo`])
      expect(consumer.assignment().actives).toHaveLength(3)

      const admin = new Admin({ clientId: 'faustus-driver-test-admin', bootstrapBrokers: [bootstrap] })
      try {
        const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId)
        expect(group?.protocol).toBe('faust')
        expect(group?.protocolType).toBe('consumer')
      } finally {
        await admin.close()
      }
    } finally {
      await consumer.close()
    }
  })

  it('gives each member of a two-member group its own assignment user data', async () => {
    const name = await topic(4)
    const groupId = uniqueName('g-two')
    const a = new EchoAssignor('a')
    const b = new EchoAssignor('b')
    const ca = transport.createConsumer({ groupId, topics: [name], assignor: a, handler: new Recorder() })
    const cb = transport.createConsumer({ groupId, topics: [name], assignor: b, handler: new Recorder() })
    await ca.start()
    await cb.start()
    try {
      await waitFor(
        () => ca.assignment().actives.length === 2 && cb.assignment().actives.length === 2,
        wait.timeoutMs,
        'two partitions each',
      )
      const runs = [...a.assignRuns, ...b.assignRuns]
      const lastRun = runs.find((members) => members.length === 2)
      expect(lastRun).toBeDefined()
      const announced = new Map(lastRun!.map((m) => [m.memberId, m.userData?.toString()]))
      expect([...announced.values()].sort()).toEqual(['sub:a', 'sub:b'])
      const idOf = (label: string) => [...announced].find(([, data]) => data === `sub:${label}`)![0]
      expect(a.received.at(-1)?.toString()).toBe(`for:${idOf('a')}:sub:a`)
      expect(b.received.at(-1)?.toString()).toBe(`for:${idOf('b')}:sub:b`)
    } finally {
      await cb.close()
      await ca.close()
    }
  })

  it('closes promptly while its join waits for a busy member', async () => {
    const name = await topic(2)
    const groupId = uniqueName('g-busy')
    const producer = transport.createProducer()
    await producer.send([{ topic: name, partition: 0, key: null, value: Buffer.from('x') }])
    await producer.close()
    let release!: () => void
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    let busy = false
    const slow = new Recorder()
    const a = transport.createConsumer({
      groupId,
      topics: [name],
      handler: {
        onAssigned: (assignment) => slow.onAssigned(assignment),
        onRevoked: (partitions) => slow.onRevoked(partitions),
        onRecords: async (records) => {
          busy = true
          await gate
          await slow.onRecords(records)
        },
      },
    })
    await a.start()
    try {
      await waitFor(() => busy, wait.timeoutMs, 'the first member busy in its handler')
      const b = transport.createConsumer({ groupId, topics: [name], handler: new Recorder() })
      const joining = b.start().catch((e: unknown) => e)
      const admin = new Admin({ clientId: 'faustus-driver-test-admin', bootstrapBrokers: [bootstrap] })
      try {
        await waitFor(
          async () => (await admin.describeGroups({ groups: [groupId] })).get(groupId)?.state === 'PreparingRebalance',
          wait.timeoutMs,
          'the second member joining the group',
        )
      } finally {
        await admin.close()
      }
      // Prompt: close returns while the first member still holds the rebalance (it is released only afterwards).
      await b.close()
      expect(isFaustusError(await joining, 'FST_TRANSPORT')).toBe(true)
      release()
      await waitFor(() => slow.records.length >= 1, wait.timeoutMs, 'the busy member finishes')
      await waitFor(() => a.assignment().actives.length === 2, wait.timeoutMs, 'the first member keeps everything')
    } finally {
      release()
      await a.close()
    }
  })

  it('loses no record when members join and leave under load', async () => {
    const name = await topic(6)
    const groupId = uniqueName('g-load')
    const producer = transport.createProducer({ lingerMs: 2 })
    // Records are produced the whole time members join and leave.
    let produced = 0
    let producing = true
    const production = (async () => {
      while (producing) {
        const batch = []
        for (let i = 0; i < 200; i++, produced++) {
          batch.push({ topic: name, key: Buffer.from(`k${produced}`), value: Buffer.from(String(produced)) })
        }
        await producer.send(batch)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()
    const r1 = new Recorder({ commitOnRevoke: true, delayMs: 2 })
    const r2 = new Recorder({ commitOnRevoke: true, delayMs: 2 })
    const r3 = new Recorder({ commitOnRevoke: true, delayMs: 2 })
    const consumer = (r: Recorder) => {
      const c = transport.createConsumer({ groupId, topics: [name], handler: r, maxBatchSize: 200 })
      r.consumer = c
      return c
    }
    const seen = () => r1.records.length + r2.records.length + r3.records.length
    const c1 = consumer(r1)
    await c1.start()
    await waitFor(() => seen() > 3_000, wait.timeoutMs, 'the first member reads')
    const c2 = consumer(r2)
    await c2.start()
    await waitFor(() => r2.records.length > 1_000, wait.timeoutMs, 'the second member reads')
    const c3 = consumer(r3)
    await c3.start()
    await waitFor(() => r3.records.length > 1_000, wait.timeoutMs, 'the third member reads')
    await c1.close()
    const afterLeave = produced
    await waitFor(() => produced > afterLeave + 5_000, wait.timeoutMs, 'more records after the leave')
    producing = false
    await production
    await producer.close()
    const total = produced
    await waitFor(
      () => new Set([...r1.values(), ...r2.values(), ...r3.values()]).size === total,
      wait.timeoutMs,
      () => `all ${total} records, got ${new Set([...r1.values(), ...r2.values(), ...r3.values()]).size}`,
    )
    await c2.close()
    await c3.close()
    const values = [...r1.values(), ...r2.values(), ...r3.values()]
    const unique = new Set(values)
    const missing = Array.from({ length: total }, (_, i) => String(i)).filter((v) => !unique.has(v))
    expect(missing).toEqual([])
    // Clean handoffs (commit on revoke) repeat nothing either.
    expect(values.length - unique.size).toBe(0)
  })
})
