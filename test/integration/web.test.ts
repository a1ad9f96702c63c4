// Two worker processes (started through the CLI) in one group on a real broker, observed through their web
// servers: /ready after joining and recovery, /metrics (parsed by a Prometheus text parser) matching what the test
// produced, held records showing as lag, a recovery after a worker leaves, and table lookups answered by either
// worker for keys the other owns; a joining worker recovering its tables.
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import { waitFor } from '../helpers.ts'
import { metricValue, parseMetrics } from '../web/helpers.ts'
import { getJson, startWebWorker, stopWebWorker, type WebWorker, waitReady } from './web-workers.ts'

const run = randomUUID().slice(0, 8)
const topic = `web-in-${run}`
const changelog = `web-${run}-counts-changelog`
const PARTITIONS = 4
const workers: WebWorker[] = []

afterAll(async () => {
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode === null) await stopWebWorker(worker)
  }
})

const partitionOf = (key: string) => partitionForKey(Buffer.from(JSON.stringify(key)), PARTITIONS)

async function metrics(worker: WebWorker) {
  const response = await fetch(`${worker.url}/metrics`)
  expect(response.headers.get('content-type')).toContain('text/plain')
  return parseMetrics(await response.text())
}

async function activePartitions(worker: WebWorker): Promise<number[]> {
  const { body } = await getJson(`${worker.url}/api/state`)
  return (body.actives as { topic: string; partition: number }[])
    .filter((tp) => tp.topic === topic)
    .map((tp) => tp.partition)
}

describe('web surface of two workers on Kafka', () => {
  it('is ready after joining, reports true figures, routes table lookups, and shows recovery', async () => {
    const kafka = inject('kafkaBootstrap')
    const transport = new KafkaTransport({ url: `kafka://${kafka}` })
    await transport.connect()
    await transport.ensureTopics([{ name: topic, partitions: PARTITIONS, replicas: 1 }])
    const producer = transport.createProducer()
    const send = (records: { key: string; value: unknown }[]) =>
      producer.send(
        records.map(({ key, value }) => ({
          topic,
          key: Buffer.from(JSON.stringify(key)),
          value: Buffer.from(JSON.stringify(value)),
        })),
      )

    const a = await startWebWorker('a', run, kafka)
    workers.push(a)
    await waitReady(a)
    const b = await startWebWorker('b', run, kafka)
    workers.push(b)
    await waitReady(b)
    // Both ready and sharing the four partitions (A's rebalance to two partitions may finish after B's join).
    const split = await waitFor(
      async () => {
        const [pa, pb] = [await activePartitions(a), await activePartitions(b)]
        const ready = (await fetch(`${a.url}/ready`)).status === 200
        return ready && pa.length === 2 && pb.length === 2 ? { a: pa, b: pb } : undefined
      },
      60_000,
      'partitions split two and two',
      { retryErrors: true, intervalMs: 50 },
    )
    expect([...split.a, ...split.b].sort()).toEqual([0, 1, 2, 3])
    const ownerOf = (key: string) => (split.a.includes(partitionOf(key)) ? a : b)

    // 20 keys, 10 events each.
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`)
    const produced = new Map<number, number>()
    const records = keys.flatMap((key) => Array.from({ length: 10 }, (_, i) => ({ key, value: { i } })))
    for (const r of records) produced.set(partitionOf(r.key), (produced.get(partitionOf(r.key)) ?? 0) + 1)
    await send(records)
    expect(keys.some((k) => ownerOf(k) === a) && keys.some((k) => ownerOf(k) === b)).toBe(true)

    // Every key answers 10 from either worker: locally for its own keys, proxied for the other's.
    for (const worker of [a, b]) {
      for (const key of keys) {
        const answer = await waitFor(
          async () => {
            const r = await getJson(`${worker.url}/table/counts/${key}`)
            return r.status === 200 && r.body === 10 ? r : undefined
          },
          60_000,
          `${key} = 10 from ${worker.name}`,
          { retryErrors: true, intervalMs: 50 },
        )
        expect(answer.body).toBe(10)
      }
    }
    expect(await getJson(`${a.url}/table/counts/missing-key`)).toEqual({ status: 200, body: 0 })
    // A user page with a table route answers from the owner, whichever worker is asked.
    for (const worker of [a, b]) {
      for (const key of keys.slice(0, 6)) {
        const page = await getJson(`${worker.url}/count/${key}`)
        expect(page).toEqual({ status: 200, body: { word: key, count: 10 } })
      }
    }

    // Offsets: once committed, each worker's committed offsets are what the test produced to its partitions.
    for (const [worker, mine] of [
      [a, split.a],
      [b, split.b],
    ] as const) {
      await waitFor(
        async () => {
          const m = await metrics(worker)
          return mine.every(
            (p) =>
              metricValue(m, 'faustus_consumer_committed_offset', { topic, partition: String(p) }) === produced.get(p),
          )
            ? true
            : undefined
        },
        60_000,
        `${worker.name} committed offsets`,
        { retryErrors: true, intervalMs: 50 },
      )
      const m = await metrics(worker)
      for (const p of mine) {
        expect(metricValue(m, 'faustus_consumer_lag', { topic, partition: String(p) })).toBe(0)
        expect(metricValue(m, 'faustus_partition_end_offset', { topic, partition: String(p) })).toBe(produced.get(p))
      }
      expect(metricValue(m, 'faustus_ready')).toBe(1)
      expect(metricValue(m, 'faustus_commits_total')).toBeGreaterThan(0)
      expect(metricValue(m, 'faustus_rebalances_total')).toBeGreaterThan(0)
    }

    // Held records are lag: close both gates, send 7 events of one key, see lag 7 on its partition.
    for (const worker of [a, b]) expect((await fetch(`${worker.url}/hold`, { method: 'POST' })).ok).toBe(true)
    const hot = 'hot-key'
    const hotOwner = ownerOf(hot)
    const hotPartition = String(partitionOf(hot))
    await send(Array.from({ length: 7 }, (_, i) => ({ key: hot, value: { i } })))
    const lagged = await waitFor(
      async () => {
        const m = await metrics(hotOwner)
        return metricValue(m, 'faustus_consumer_lag', { topic, partition: hotPartition }) === 7 ? m : undefined
      },
      60_000,
      'lag 7 on the held partition',
      { retryErrors: true, intervalMs: 50 },
    )
    expect(metricValue(lagged, 'faustus_consumer_lag', { topic })).toBe(7)
    for (const worker of [a, b]) expect((await fetch(`${worker.url}/release`, { method: 'POST' })).ok).toBe(true)
    await waitFor(
      async () => {
        const m = await metrics(hotOwner)
        return metricValue(m, 'faustus_consumer_lag', { topic, partition: hotPartition }) === 0 ? true : undefined
      },
      60_000,
      'lag back to 0',
      { retryErrors: true, intervalMs: 50 },
    )
    const other = hotOwner === a ? b : a
    expect((await getJson(`${other.url}/table/counts/${hot}`)).body).toBe(7)

    // Events: what the two workers received and handed to the agent is what the test produced.
    const total = records.length + 7
    const [ma, mb] = [await metrics(a), await metrics(b)]
    expect(
      metricValue(ma, 'faustus_events_received_total', { topic }) +
        metricValue(mb, 'faustus_events_received_total', { topic }),
    ).toBe(total)
    expect(
      metricValue(ma, 'faustus_agent_events_in_total', { agent: 'count', topic }) +
        metricValue(mb, 'faustus_agent_events_in_total', { agent: 'count', topic }),
    ).toBe(total)
    expect(
      metricValue(ma, 'faustus_table_keys', { table: 'counts' }) +
        metricValue(mb, 'faustus_table_keys', { table: 'counts' }),
    ).toBe(21)

    // B leaves: A takes its partitions over (from the standbys it kept) and answers every key. A new worker C
    // joins: it recovers its partitions from their changelog, as many records as the changelog holds, shows that
    // in its metrics, and is ready once done.
    expect(await stopWebWorker(b)).toBe(0)
    await waitFor(
      async () => ((await activePartitions(a)).length === 4 ? true : undefined),
      60_000,
      'A owns all partitions',
      { retryErrors: true, intervalMs: 50 },
    )
    await waitReady(a)
    for (const key of keys) expect((await getJson(`${a.url}/table/counts/${key}`)).body).toBe(10)
    expect((await getJson(`${a.url}/table/counts/${hot}`)).body).toBe(7)

    const c = await startWebWorker('c', run, kafka)
    workers.push(c)
    const mineC = await waitFor(
      async () => {
        const pc = await activePartitions(c)
        return pc.length === 2 && (await fetch(`${c.url}/ready`)).status === 200 ? pc : undefined
      },
      60_000,
      'C ready with two partitions',
      { retryErrors: true, intervalMs: 50 },
    )
    const ends = await transport.listOffsets(mineC.map((partition) => ({ topic: changelog, partition })))
    const m = await metrics(c)
    for (const { partition, latest, earliest } of ends) {
      const labels = { table: 'counts', partition: String(partition) }
      expect(latest - earliest).toBeGreaterThan(0)
      expect(metricValue(m, 'faustus_recovery_records_total', labels)).toBe(latest - earliest)
      expect(metricValue(m, 'faustus_recovery_records_done', labels)).toBe(latest - earliest)
    }
    expect(metricValue(m, 'faustus_recovering')).toBe(0)
    for (const key of keys) expect((await getJson(`${c.url}/table/counts/${key}`)).body).toBe(10)

    await producer.close()
    await transport.close()
  })
})
