// Issue 11, point 10, on the real broker: a table fed from a topic filled by kcat (librdkafka's default
// partitioner, consistent_random: crc32 of the key, not murmur2) keeps every update in the partition of its event,
// with no failed event and no restart (so no backoff crawl), and ends with the same counts as the same events
// produced with murmur2 (Faustus's producer, as Kafka's Java client). The keys arrive as Buffers (the topics have
// Faust's default raw keys), so this is point 1 on Kafka too.
import { execFile } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { describe, expect, inject, it } from 'vitest'
import { App, type Stream } from '../../src/index.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import { stopAfterEach, waitFor } from '../helpers.ts'

const PARTITIONS = 4
const KEYS = Array.from({ length: 40 }, (_, i) => `user-${i}`)
const EVENTS = 2000

const apps = stopAfterEach()

/** Produces `key:value` lines with kcat (librdkafka, its default partitioner); resolves when kcat exits. */
function kcatProduce(bootstrap: string, topic: string, lines: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('kcat', ['-P', '-b', bootstrap, '-t', topic, '-K', ':'], (error, _stdout, stderr) =>
      error ? reject(new Error(`kcat failed: ${stderr || error.message}`)) : resolve(),
    )
    child.stdin!.end(`${lines.join('\n')}\n`)
  })
}

/** Where the records of a topic are: key -> set of partitions. */
async function placement(transport: KafkaTransport, topic: string): Promise<Map<string, Set<number>>> {
  const ends = await transport.listOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })))
  const total = ends.reduce((n, e) => n + e.latest - e.earliest, 0)
  const out = new Map<string, Set<number>>()
  let seen = 0
  const reader = transport.createConsumer({
    handler: {
      onAssigned() {},
      onRevoked() {},
      onRecords: (records) => {
        for (const r of records) {
          const key = r.key!.toString()
          if (!out.has(key)) out.set(key, new Set())
          out.get(key)!.add(r.partition)
          seen++
        }
      },
    },
  })
  await reader.assign(ends.map((e) => ({ topic, partition: e.partition, offset: e.earliest })))
  await reader.start()
  await waitFor(() => seen >= total, 60_000)
  await reader.close()
  return out
}

describe('tables over data from other producers', () => {
  it('kcat-produced topic: full speed (no failure, no restart), the same counts as murmur2-produced data', async () => {
    const bootstrap = inject('kafkaBootstrap')
    const run = randomUUID().slice(0, 8)
    const kcatTopic = `kcat-${run}`
    const murmurTopic = `murmur-${run}`
    const transport = new KafkaTransport({ url: `kafka://${bootstrap}` })
    await transport.connect()
    try {
      await transport.ensureTopics([
        { name: kcatTopic, partitions: PARTITIONS, replicas: 1 },
        { name: murmurTopic, partitions: PARTITIONS, replicas: 1 },
      ])
      const events = Array.from({ length: EVENTS }, (_, i) => KEYS[(i * 7) % KEYS.length])
      const truth: Record<string, number> = {}
      for (const key of events) truth[key] = (truth[key] ?? 0) + 1

      await kcatProduce(
        bootstrap,
        kcatTopic,
        events.map((key, i) => `${key}:${i}`),
      )
      const producer = transport.createProducer()
      await producer.send(
        events.map((key, i) => ({ topic: murmurTopic, key: Buffer.from(key), value: Buffer.from(`${i}`) })),
      )
      await producer.close()

      // kcat really placed keys elsewhere than murmur2 (else this test proves nothing), each key on one partition.
      const kcatPlacement = await placement(transport, kcatTopic)
      const moved = KEYS.filter((key) => !kcatPlacement.get(key)!.has(partitionForKey(Buffer.from(key), PARTITIONS)))
      expect(moved.length).toBeGreaterThan(KEYS.length / 4)
      for (const key of KEYS) expect(kcatPlacement.get(key)!.size).toBe(1)

      const app = new App(`kcat-${run}`, {
        broker: `kafka://${bootstrap}`,
        logLevel: 'silent',
        topicPartitions: PARTITIONS,
      })
      apps.push(app)
      // Raw keys (Faust's default): the agents get Buffers and give them to the tables as they are.
      const fromKcat = app.table<string, number>('from_kcat', { default: () => 0 })
      const fromMurmur = app.table<string, number>('from_murmur', { default: () => 0 })
      let processed = 0
      const count = (table: typeof fromKcat) => async (stream: Stream<unknown, Buffer>) => {
        for await (const [key] of stream.items()) {
          table.update(key as never, (n) => n + 1)
          processed++
        }
      }
      const kcatAgent = app.agent(app.topic(kcatTopic), count(fromKcat), { name: 'count_kcat' })
      const murmurAgent = app.agent(app.topic(murmurTopic), count(fromMurmur), { name: 'count_murmur' })
      await app.start()
      await waitFor(() => processed === 2 * EVENTS, 120_000)

      // No event failed, so nothing restarted and nothing backed off: the kcat agent ran at full speed.
      for (const agent of [kcatAgent, murmurAgent]) {
        expect(agent.supervisorStats).toEqual({ failures: 0, restarts: 0, backoffs: 0, backoffMs: 0 })
      }
      // The same counts, the truth, from both topics; read outside the agents with string keys.
      const contents = (table: typeof fromKcat) => Object.fromEntries([...table.entries()].sort())
      expect(contents(fromKcat)).toEqual(truth)
      expect(contents(fromMurmur)).toEqual(truth)
      for (const key of KEYS) expect(fromKcat.get(key)).toBe(truth[key])
      // Every event of a moved key was counted as a mismatch; murmur2-produced data has none.
      const movedEvents = events.filter((key) => moved.includes(key)).length
      expect(fromKcat.stats.keyPartitionMismatches).toBe(movedEvents)
      expect(fromMurmur.stats.keyPartitionMismatches).toBe(0)
      await app.stop()

      // A new worker of the app (fresh memory stores) recovers both tables from their changelogs: every record
      // decodes (the Buffer keys were written as JSON strings), the same counts.
      const again = new App(`kcat-${run}`, {
        broker: `kafka://${bootstrap}`,
        logLevel: 'silent',
        topicPartitions: PARTITIONS,
      })
      apps.push(again)
      const recoveredKcat = again.table<string, number>('from_kcat', { default: () => 0 })
      const recoveredMurmur = again.table<string, number>('from_murmur', { default: () => 0 })
      again.agent(again.topic(kcatTopic), count(recoveredKcat), { name: 'count_kcat' })
      again.agent(again.topic(murmurTopic), count(recoveredMurmur), { name: 'count_murmur' })
      await again.start()
      // At most one record per event: the table cache coalesced the changes of a key between checkpoints.
      expect(again.lastRecovery.records).toBeGreaterThan(0)
      expect(again.lastRecovery.records).toBeLessThanOrEqual(2 * EVENTS)
      for (const table of [recoveredKcat, recoveredMurmur]) {
        expect(contents(table)).toEqual(truth)
        expect(table.stats.corrupt).toBe(0)
      }
    } finally {
      await transport.close()
    }
  }, 300_000)
})
