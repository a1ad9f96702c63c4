// Differential test against Kafka Streams for joins and session windows: the same generated records, written to
// real topics, are processed by Faustus and by Kafka Streams (test/integration/java/joins/JoinsDiff.java, one
// KafkaStreams instance for every topology), and each pair of output topics must hold the same records, sorted (the
// order across partitions is not defined), timestamps included for the joins:
//   - windowed stream–stream joins, inner, left and outer (within 30 s, grace 10 s), 5 % of records late or out of
//     order: some joined within the grace period, some dropped after it, unmatched left/outer results emitted
//     when their window closes;
//   - stream–table joins, inner and left, with table updates and deletes between the events;
//   - counts in session windows (gap 5 s, grace 2 s), one final result per session when it closes, 5 % late.
// Kafka Streams takes the next record of a task from the partition whose head record is oldest; Faustus processes
// records in the order they are fetched (docs/joins.md). So that both process the two topics of a join in one
// order, the join inputs are written in phases, each to one topic only, and both systems commit a phase before the
// next is written. Within a phase records are processed in offset order by both.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { buildJava, javaCommand } from '../../scripts/jvm/index.ts'
import { App, type Stream } from '../../src/index.ts'
import type { Transport } from '../../src/transport/types.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd } from '../helpers.ts'
import {
  flush,
  type Input,
  joinPhases,
  lines,
  missingFrom,
  sessionInputs,
  streamTablePhases,
} from './streams-diff-inputs.ts'

const SCALE = Number(process.env.DIFF_SCALE ?? 1)
const PARTITIONS = 4
const WITHIN = 30_000
const GRACE = 10_000
const SPAN = 40_000
const PHASES = 20
const JOIN_PER_PHASE = Math.round(3_000 * SCALE)
const ST_UPDATES = Math.round(300 * SCALE)
const ST_EVENTS = Math.round(1_700 * SCALE)
const SESSION_EVENTS = Math.round(30_000 * SCALE)
const GAP = 5_000
const SESSION_GRACE = 2_000
const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

const OUTPUTS = ['inner', 'left', 'outer', 'st-inner', 'st-left', 'sessions'] as const
type Output = (typeof OUTPUTS)[number]

async function send(transport: Transport, producer: ReturnType<Transport['createProducer']>, records: Input[]) {
  const encoded = records.map((r) => ({
    topic: r.topic,
    key: Buffer.from(r.key),
    value: r.value === null ? null : Buffer.from(r.value),
    timestamp: r.timestamp,
    ...(r.partition === undefined ? {} : { partition: r.partition }),
  }))
  for (let i = 0; i < encoded.length; i += 5_000) await producer.send(encoded.slice(i, i + 5_000))
  void transport
}

describe('joins and session windows against Kafka Streams', () => {
  it('stream–stream (inner, left, outer), stream–table (inner, left) and session counts: the same outputs', async () => {
    const bootstrap = inject('kafkaBootstrap')
    const run = randomUUID().slice(0, 8)
    const prefix = `jd-${run}-`
    const streams = await buildJava({ sources: 'test/integration/java/joins' })

    const app = new App(`jdiff-${run}`, {
      broker: `kafka://${bootstrap}`,
      logLevel: 'warn',
      topicPartitions: PARTITIONS,
      brokerCommitIntervalMs: 100,
    })
    const json = { keyType: 'json', valueType: 'json' } as const
    const left = app.topic(`${prefix}left`, json)
    const right = app.topic(`${prefix}right`, json)
    const stStream = app.topic(`${prefix}st-stream`, json)
    const stTable = app.topic(`${prefix}st-table`, { keyType: 'json', valueType: 'raw' })
    const clicks = app.topic(`${prefix}sessions`, json)
    const out = Object.fromEntries(OUTPUTS.map((o) => [o, app.topic(`${prefix}fst-${o}`, json)])) as Record<
      Output,
      ReturnType<typeof app.topic>
    >
    const pair = (l: unknown, r: unknown) => ({ left: l ?? null, right: r ?? null })

    const kinds = { inner: 'join', left: 'leftJoin', outer: 'outerJoin' } as const
    for (const [kind, method] of Object.entries(kinds) as [keyof typeof kinds, (typeof kinds)[keyof typeof kinds]][]) {
      app.task(
        async () => {
          const joined = (left.stream() as Stream<string, string>)[method](right.stream() as Stream<string, string>, {
            name: `diff-${kind}`,
            within: WITHIN,
            grace: GRACE,
            joiner: pair,
          }) as Stream<unknown, unknown>
          for await (const e of joined.events()) {
            await out[kind].forward({ key: e.key, value: e.value, timestamp: e.timestamp })
          }
        },
        { name: `join-${kind}` },
      )
    }

    const table = app.table<string, string>('st-table')
    app.agent(stTable, async function keepTable(stream: Stream<Buffer | null, string>) {
      for await (const event of stream.events()) {
        if (event.value === null) table.delete(event.key)
        else table.set(event.key, JSON.parse(event.value.toString()) as string)
      }
    })
    for (const kind of ['inner', 'left'] as const) {
      app.task(
        async () => {
          const events = stStream.stream() as Stream<string, string>
          const joined =
            kind === 'inner' ? events.joinTable(table, { joiner: pair }) : events.leftJoinTable(table, { joiner: pair })
          for await (const e of joined.events()) {
            await out[`st-${kind}`].forward({ key: e.key, value: e.value, timestamp: e.timestamp })
          }
        },
        { name: `st-${kind}` },
      )
    }

    const sessions = app
      .table<string, number>('sessions', { default: () => 0, keyPartitionCheck: 'off' })
      .session(GAP, { grace: SESSION_GRACE, merge: (a, b) => a + b })
      .finalResults(out.sessions)
    app.agent(clicks, async function countSessions(stream: Stream<number, string>) {
      for await (const event of stream.events()) sessions.update(event.key, (n) => n + 1)
    })

    await app.start()
    const transport = await openTransport(app)
    const producer = transport.createProducer()
    try {
      // Kafka Streams does not create its output topics (and the test broker does not auto-create topics).
      await transport.ensureTopics(
        OUTPUTS.map((o) => ({ name: `${prefix}ks-${o}`, partitions: PARTITIONS, replicas: 1 })),
      )
      const appId = `jdiff-ks-${run}`
      const child = spawn(
        ...javaCommand(
          streams,
          'JoinsDiff',
          [
            bootstrap,
            appId,
            mkdtempSync(join(tmpdir(), 'kafka-streams-')),
            prefix,
            String(WITHIN),
            String(GRACE),
            String(GAP),
            String(SESSION_GRACE),
          ],
          { jvm: ['-Xmx384m'] },
        ),
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      children.push(child)
      // Its warnings for the late records it drops (thousands) are expected; anything else is shown.
      child.stderr!.on('data', (d: Buffer) => {
        const shown = d
          .toString()
          .split('\n')
          .filter((line) => line.trim() !== '' && !line.includes('Skipping record'))
        if (shown.length > 0) process.stderr.write(`${shown.join('\n')}\n`)
      })
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.includes('started') && resolve()))

      // Recent times, as real input has (the test broker keeps records whatever their time: log.retention.ms=-1).
      const start = Date.now() - 3_600_000
      const joinInputs = joinPhases(
        { left: left.name, right: right.name },
        { start, perPhase: JOIN_PER_PHASE, phases: PHASES, span: SPAN, keys: 5_000, maxLateness: 2 * SPAN },
      )
      const stInputs = streamTablePhases(
        { stream: stStream.name, table: stTable.name },
        { start, phases: PHASES, span: SPAN, updates: ST_UPDATES, events: ST_EVENTS, keys: 1_000 },
      )
      const clickInputs = sessionInputs(clicks.name, { start, count: SESSION_EVENTS, keys: 500 })
      const last = Math.max(...[...joinInputs.flat(), ...clickInputs].map((r) => r.timestamp))
      const phases: Input[][] = joinInputs.map((records, phase) => [...records, ...stInputs[phase]!])
      phases[0]!.push(...clickInputs)
      phases.push([...flush(left.name, PARTITIONS, last + 10 * SPAN), ...flush(clicks.name, PARTITIONS, last + 60_000)])
      const written = new Set<string>()
      let total = 0
      for (const [phase, records] of phases.entries()) {
        const began = Date.now()
        total += records.length
        await send(transport, producer, records)
        for (const record of records) written.add(record.topic)
        // Every partition of a written topic has records (the test writes thousands per topic).
        const inputs = [...written].flatMap((topic) => partitionsOf(topic, PARTITIONS))
        await allCommitted(transport, app.groupId, inputs)
        const ours = Date.now()
        await allCommitted(transport, appId, inputs)
        if (process.env.DIFF_TIMINGS === '1') {
          console.log(
            `phase ${phase}: ${records.length} records, Faustus ${ours - began} ms, then Kafka Streams ${Date.now() - ours} ms`,
          )
        }
      }
      console.log(`${total} input records in ${phases.length} phases`)

      const differences: { output: Output; missing: number; extra: number }[] = []
      for (const o of OUTPUTS) {
        const withTimestamp = o !== 'sessions'
        const ours = lines(await readToEnd(transport, partitionsOf(`${prefix}fst-${o}`, PARTITIONS)), withTimestamp)
        const theirs = lines(await readToEnd(transport, partitionsOf(`${prefix}ks-${o}`, PARTITIONS)), withTimestamp)
        const unmatched = theirs.filter((line) => line.includes('null')).length
        console.log(
          `${o}: Faustus ${ours.length} results, Kafka Streams ${theirs.length} (${unmatched} with a null side)`,
        )
        const missing = missingFrom(theirs, ours)
        const extra = missingFrom(ours, theirs)
        if (missing.length + extra.length > 0) {
          console.log(`${o}: missing in Faustus ${missing.length}, e.g.\n  ${missing.slice(0, 8).join('\n  ')}`)
          console.log(`${o}: extra in Faustus ${extra.length}, e.g.\n  ${extra.slice(0, 8).join('\n  ')}`)
        }
        expect(theirs.length).toBeGreaterThan(1000)
        differences.push({ output: o, missing: missing.length, extra: extra.length })
      }
      expect(differences).toEqual(OUTPUTS.map((output) => ({ output, missing: 0, extra: 0 })))
      child.kill('SIGTERM')
    } finally {
      await producer.close()
      await transport.close()
      await app.stop()
    }
  }, 900_000)
})
