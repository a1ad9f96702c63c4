// Windowed counts under at-least-once across a kill -9: a worker process counts clicks per user in tumbling windows
// and in sessions, each with a grace period and one final result per window, and is killed with SIGKILL mid-stream
// (after its first final results); a second worker recovers the tables and stream times from the changelogs, reads
// the clicks again from the last committed offset, and finishes. Compared with the same app over the same clicks on
// the memory transport without a fault, it asserts:
//   - the same windows: every window (kind, user, start, end) of the faultless run has a final result, and no other
//     window has one (a session never takes a replayed click of a session that closed, which would move its start);
//   - no event lost from a count: every final result is >= the faultless count of its window;
//   - exact counts after recovery: windows that start after the last click the killed worker could have read
//     (in their partition) have exactly one final result, with the faultless count.
// What at-least-once permits, and is only reported: a window open at the crash counts the replayed clicks it had
// counted already (its final value exceeds the faultless one), and a final result sent after the last commit is
// sent again (docs/tables.md, "Grace periods, late events and final results").
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { App, type FinalResult } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import type { TopicPartition, Transport } from '../../src/transport/types.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd, waitFor } from '../helpers.ts'
import { type Click, clickRecords, clicks, flush, spawnWorker } from './fixtures/clicks.ts'
import { WINDOWS_PARTITIONS, windowsWorker } from './fixtures/windows-worker.ts'

const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

type Kind = 'tumbling' | 'sessions'
/** kind, user, start, end -> the values of its final results. */
type Finals = Map<string, number[]>
const windowId = (kind: Kind, user: string, start: number, end: number) => `${kind} ${user} ${start} ${end}`

function collect(into: Finals, kind: Kind, finals: { key: string; value: FinalResult<number> }[]): void {
  for (const { key, value } of finals) {
    const id = windowId(kind, key, value.start, value.end)
    into.set(id, [...(into.get(id) ?? []), value.value])
  }
}

async function reference(run: string, phases: Click[][]): Promise<Finals> {
  const worker = windowsWorker(run, `memory://win-ref-${run}`, { logLevel: 'silent' })
  const driver = await new TestDriver(worker.app).start()
  try {
    for (const phase of phases) {
      for (const click of phase) await driver.send(worker.input, { key: click.user, value: click.user, ...click })
    }
    await driver.idle()
    const finals: Finals = new Map()
    collect(finals, 'tumbling', driver.records<FinalResult<number>, string>(worker.tumblingFinals.name))
    collect(finals, 'sessions', driver.records<FinalResult<number>, string>(worker.sessionFinals.name))
    return finals
  } finally {
    await driver.stop()
  }
}

/** How many records of `partitions` group `groupId` has committed. */
async function committedCount(transport: Transport, groupId: string, partitions: TopicPartition[]): Promise<number> {
  const group = transport.createConsumer({ groupId, handler: { onAssigned() {}, onRevoked() {}, onRecords() {} } })
  try {
    const committed = await group.committed(partitions)
    return [...committed.values()].reduce((n, offset) => n + Math.max(0, offset ?? 0), 0)
  } finally {
    await group.close()
  }
}

describe('windows under at-least-once on Kafka', () => {
  it('kill -9 of the worker: no window lost, no count short, exact counts for the windows after the crash', async () => {
    const bootstrap = inject('kafkaBootstrap')
    const run = randomUUID().slice(0, 8)
    // Recent times: the broker's time retention (7 days) deletes older records.
    const clocks = [0, 0, 0, 0].map(() => Date.now() - 3_600_000)
    const phases = [clicks(16_000, 7, clocks), clicks(4_000, 11, clocks)]
    // The last time the killed worker could have seen, per partition; then a record per partition far ahead.
    const lastSeen = [0, 1, 2, 3].map((p) =>
      Math.max(...phases[0]!.filter((c) => c.partition === p).map((c) => c.timestamp)),
    )
    phases[1]!.push(...flush(clocks))
    const expected = await reference(run, phases)
    expect(expected.size).toBeGreaterThan(500)

    const client = new App(`win-client-${run}`, { broker: `kafka://${bootstrap}`, logLevel: 'warn' })
    const transport = await openTransport(client)
    const producer = transport.createProducer()
    const input = `win-in-${run}`
    const outputs: Record<Kind, string> = { tumbling: `win-tumbling-${run}`, sessions: `win-sessions-${run}` }
    try {
      const send = (phase: Click[]) => producer.send(clickRecords(input, phase))
      const child = await spawnWorker(
        'windows-worker.ts',
        { RUN_WINDOWS_WORKER: '1', WINDOWS_RUN: run, FAUSTUS_TEST_KAFKA: bootstrap },
        children,
      )
      // The first half, then the worker is killed once it has sent final results of both kinds (so some windows
      // closed before the crash), right after the second half is written: records it cannot have processed and
      // committed yet, so the crash cuts the stream (a worker that finished the whole phase first did not).
      const half = phases[0]!.length / 2
      await send(phases[0]!.slice(0, half))
      await waitFor(
        async () => {
          for (const topic of Object.values(outputs)) {
            const high = await transport.listOffsets(partitionsOf(topic, WINDOWS_PARTITIONS))
            if (high.reduce((n, h) => n + h.latest, 0) < 50) return false
          }
          return true
        },
        180_000,
        'first final results',
        { intervalMs: 50 },
      )
      await send(phases[0]!.slice(half))
      child.kill('SIGKILL')
      // The crash must cut the stream: clicks read and not committed are read again by the survivor.
      const committedAtKill = await committedCount(transport, `win-${run}`, partitionsOf(input, WINDOWS_PARTITIONS))
      await send(phases[1]!)

      const survivor = windowsWorker(run, `kafka://${bootstrap}`)
      await survivor.app.start()
      const finals: Finals = new Map()
      try {
        await allCommitted(transport, survivor.app.groupId, partitionsOf(input, WINDOWS_PARTITIONS))
        for (const kind of ['tumbling', 'sessions'] as const) {
          const records = await readToEnd(transport, partitionsOf(outputs[kind], WINDOWS_PARTITIONS))
          collect(
            finals,
            kind,
            records.map((r) => ({
              key: JSON.parse(r.key!.toString()) as string,
              value: JSON.parse(r.value!.toString()) as FinalResult<number>,
            })),
          )
        }
      } finally {
        await survivor.app.stop()
      }

      const lost = [...expected.keys()].filter((id) => !finals.has(id))
      const spurious = [...finals.keys()].filter((id) => !expected.has(id))
      const short: string[] = []
      const afterCrashWrong: string[] = []
      let duplicated = 0
      let inflated = 0
      for (const [id, values] of finals) {
        const truth = expected.get(id)?.[0]
        if (truth === undefined) continue
        if (values.length > 1) duplicated++
        if (values.some((v) => v < truth)) short.push(`${id}: ${values} < ${truth}`)
        if (values.some((v) => v > truth)) inflated++
        const [, user, start] = id.split(' ')
        const partition = Number(user!.split('-')[1]) % WINDOWS_PARTITIONS
        if (Number(start) > lastSeen[partition]! && (values.length !== 1 || values[0] !== truth)) {
          afterCrashWrong.push(`${id}: ${values} (expected ${truth})`)
        }
      }
      const after = [...expected.keys()].filter((id) => {
        const [, user, start] = id.split(' ')
        return Number(start) > lastSeen[Number(user!.split('-')[1]) % WINDOWS_PARTITIONS]!
      }).length
      console.log(
        `windows at-least-once kill -9 after ${committedAtKill} of ${phases[0]!.length} clicks committed: ` +
          `${expected.size} windows expected, ${finals.size} with final results; ` +
          `${duplicated} sent more than once, ${inflated} counted replayed clicks again; ${after} windows after the crash`,
      )
      for (const id of [...lost, ...spurious].slice(0, 10)) {
        const [kind, user] = id.split(' ')
        const near = [...finals.keys(), ...expected.keys()].filter((other) => other.startsWith(`${kind} ${user} `))
        console.log(
          `${lost.includes(id) ? 'lost' : 'spurious'} ${id} (${finals.get(id) ?? expected.get(id)}); ` +
            `that user's windows: ${[...new Set(near)]
              .sort()
              .map((w) => `${w.split(' ').slice(2).join('-')}=${finals.get(w) ?? '-'}/${expected.get(w) ?? '-'}`)
              .join(' ')}`,
        )
      }
      expect(committedAtKill).toBeLessThan(phases[0]!.length)
      expect(lost).toEqual([])
      expect(spurious).toEqual([])
      expect(short).toEqual([])
      expect(after).toBeGreaterThan(100)
      expect(afterCrashWrong).toEqual([])
    } finally {
      await producer.close()
      await transport.close()
    }
  }, 400_000)
})
