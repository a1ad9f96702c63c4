// Differential test against Kafka Streams: the same 100 000 generated clicks (5 % late or out of order) are counted
// per key in tumbling and in hopping windows with a grace period, one final result per window, by Kafka Streams
// (test/integration/java/WindowCounts.java: windowedBy(...).count().suppress(untilWindowCloses)) and by Faustus
// (`tumbling`/`hopping` with `grace` and `finalResults`). The final results must be equal (sorted: the order across
// partitions is not defined).
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { buildJava, javaCommand } from '../../scripts/jvm/index.ts'
import { App, type Stream } from '../../src/index.ts'
import type { ConsumedRecord } from '../../src/transport/types.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd } from '../helpers.ts'

const EVENTS = Number(process.env.DIFF_EVENTS ?? 100_000)
const PARTITIONS = 4
const SIZE = 10_000
const STEP = 5_000
const GRACE = 2_000
const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

/** Clicks of 200 keys, seeded, time moving forward by up to 50 ms, 5 % of them late by up to 15 s. */
function clicks(count: number, start: number): { key: string; timestamp: number }[] {
  let state = 42
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
  let clock = start
  const out = []
  for (let i = 0; i < count; i++) {
    clock += Math.floor(random() * 50)
    const late = random() < 0.05 ? Math.floor(random() * 15_000) : 0
    out.push({ key: `key-${Math.floor(random() * 200)}`, timestamp: clock - late })
  }
  return out
}

const results = (records: ConsumedRecord[]) =>
  records
    .map((r) => {
      const value = JSON.parse(r.value!.toString()) as { start: number; end: number; value: number }
      return `${JSON.parse(r.key!.toString())} ${value.start} ${value.end} ${value.value}`
    })
    .sort()

describe('windowed aggregations against Kafka Streams', () => {
  it(`tumbling and hopping counts with grace over ${EVENTS} clicks (5 % late): the same final results`, async () => {
    const bootstrap = inject('kafkaBootstrap')
    const run = randomUUID().slice(0, 8)
    const input = `diff-in-${run}`
    // The kafka-streams jar of the broker's Kafka version (Maven Central, cached) and WindowCounts compiled against it.
    const streams = await buildJava({ sources: 'test/integration/java/windows' })

    const app = new App(`diff-${run}`, {
      broker: `kafka://${bootstrap}`,
      logLevel: 'warn',
      topicPartitions: PARTITIONS,
    })
    const clicksTopic = app.topic(input, { keyType: 'raw', valueType: 'raw' })
    const outputs = { tumbling: `diff-fst-tumbling-${run}`, hopping: `diff-fst-hopping-${run}` }
    const tumbling = app
      .table<string, number>('tumbling', { default: () => 0, keyPartitionCheck: 'off' })
      .tumbling(SIZE, { grace: GRACE })
      .finalResults(app.topic(outputs.tumbling, { keyType: 'json', valueType: 'json' }))
    const hopping = app
      .table<string, number>('hopping', { default: () => 0, keyPartitionCheck: 'off' })
      .hopping(SIZE, STEP, { grace: GRACE })
      .finalResults(app.topic(outputs.hopping, { keyType: 'json', valueType: 'json' }))
    app.agent(clicksTopic, async function count(stream: Stream<Buffer, Buffer>) {
      for await (const event of stream.events()) {
        const key = JSON.parse((event.key as Buffer).toString()) as string
        tumbling.update(key, (n) => n + 1)
        hopping.update(key, (n) => n + 1)
      }
    })
    await app.start()
    const transport = await openTransport(app)
    const producer = transport.createProducer()
    try {
      // Kafka Streams does not create its output topics (and the test broker does not auto-create topics).
      await transport.ensureTopics(
        (['tumbling', 'hopping'] as const).map((kind) => ({
          name: `diff-ks-${kind}-${run}`,
          partitions: PARTITIONS,
          replicas: 1,
        })),
      )
      const streamsApps = (['tumbling', 'hopping'] as const).map((kind) => {
        const appId = `diff-ks-${kind}-${run}`
        const child = spawn(
          ...javaCommand(
            streams,
            'WindowCounts',
            [
              bootstrap,
              appId,
              input,
              `diff-ks-${kind}-${run}`,
              kind,
              mkdtempSync(join(tmpdir(), 'kafka-streams-')),
              String(SIZE),
              String(STEP),
              String(GRACE),
            ],
            { jvm: ['-Xmx256m'] },
          ),
          { stdio: ['ignore', 'pipe', 'inherit'] },
        )
        children.push(child)
        const started = new Promise<void>((resolve) =>
          child.stdout!.on('data', (d: Buffer) => d.includes('started') && resolve()),
        )
        return { kind, appId, output: `diff-ks-${kind}-${run}`, child, started }
      })
      for (const ks of streamsApps) await ks.started

      // Recent times, as real input has (the test broker keeps records whatever their time: log.retention.ms=-1).
      const events = clicks(EVENTS, Date.now() - 3_600_000)
      const last = Math.max(...events.map((e) => e.timestamp))
      const records = events.map((e) => ({
        topic: input,
        key: Buffer.from(JSON.stringify(e.key)),
        value: Buffer.from('1'),
        timestamp: e.timestamp,
      }))
      // One record per partition far ahead in time closes every window on both sides.
      for (let partition = 0; partition < PARTITIONS; partition++) {
        records.push({ topic: input, key: Buffer.from(`"flush"`), value: Buffer.from('1'), timestamp: last + 60_000 })
        ;(records.at(-1) as { partition?: number }).partition = partition
      }
      for (let i = 0; i < records.length; i += 5_000) await producer.send(records.slice(i, i + 5_000))

      await allCommitted(transport, app.groupId, partitionsOf(input, PARTITIONS))
      for (const ks of streamsApps) await allCommitted(transport, ks.appId, partitionsOf(input, PARTITIONS))
      for (const ks of streamsApps) {
        ks.child.kill('SIGTERM')
        const ours = results(await readToEnd(transport, partitionsOf(outputs[ks.kind], PARTITIONS)))
        const theirs = results(await readToEnd(transport, partitionsOf(ks.output, PARTITIONS)))
        console.log(`${ks.kind}: Faustus ${ours.length} final results, Kafka Streams ${theirs.length}`)
        expect(theirs.length).toBeGreaterThan(1000)
        expect(ours).toEqual(theirs)
      }
      console.log(`late updates dropped by Faustus: tumbling ${tumbling.lateDropped}, hopping ${hopping.lateDropped}`)
    } finally {
      await producer.close()
      await transport.close()
      await app.stop()
    }
  }, 600_000)
})
