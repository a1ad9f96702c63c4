// Session windows and final results on a real broker, across a kill -9: a worker process counts clicks per user
// session (exactly-once) and is killed with SIGKILL mid-stream; a second worker recovers the sessions and the stream
// time from the changelog and finishes. The committed final results (read_committed, to the end offsets) must equal
// those of the same app run without a fault on the memory transport: none lost, none repeated, late events dropped
// the same way.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { App, type FinalResult } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd, waitFor } from '../helpers.ts'
import { SESSION_PARTITIONS, sessionWorker } from './fixtures/session-worker.ts'

const node = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node')
const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

interface Click {
  user: string
  partition: number
  timestamp: number
}

/** Clicks of 40 users over 4 partitions, seeded: sessions, gaps, and 5 % late or out-of-order events. */
function clicks(count: number, seed: number, clocks: number[]): Click[] {
  let state = seed
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
  const out: Click[] = []
  for (let i = 0; i < count; i++) {
    const user = Math.floor(random() * 40)
    const partition = user % SESSION_PARTITIONS
    clocks[partition] += Math.floor(random() * 400)
    const late = random() < 0.05 ? Math.floor(random() * 15_000) : 0
    out.push({ user: `user-${user}`, partition, timestamp: clocks[partition] - late })
  }
  return out
}

/** A record per partition far ahead in time: stream time passes every session's close. */
function flush(clocks: number[]): Click[] {
  return clocks.map((clock, partition) => ({ user: `flush-${partition}`, partition, timestamp: clock + 60_000 }))
}

type Final = [string, number, number, number]
const sorted = (finals: Final[]) => [...finals].sort((a, b) => a[0].localeCompare(b[0]) || a[1] - b[1])

/** The final results of the same app over the same clicks on the memory transport, without faults. */
async function reference(run: string, phases: Click[][]): Promise<Final[]> {
  const worker = sessionWorker(run, `memory://sess-ref-${run}`, { logLevel: 'silent' })
  const driver = await new TestDriver(worker.app).start()
  try {
    for (const phase of phases) {
      for (const click of phase) await driver.send(worker.input, { key: click.user, value: click.user, ...click })
    }
    await driver.idle()
    return driver
      .records<FinalResult<number>, string>(worker.finals.name)
      .map((r) => [r.key, r.value.start, r.value.end, r.value.value])
  } finally {
    await driver.stop()
  }
}

describe('session windows on Kafka', () => {
  it('final results across a kill -9 of the worker: none lost, none duplicated, as without the fault', async () => {
    const bootstrap = inject('kafkaBootstrap')
    const run = randomUUID().slice(0, 8)
    // Recent times, as real input has (the test broker keeps records whatever their time: log.retention.ms=-1).
    const clocks = [0, 0, 0, 0].map(() => Date.now() - 3_600_000)
    const phases = [clicks(3_000, 7, clocks), clicks(3_000, 11, clocks)]
    phases[1].push(...flush(clocks))
    const expected = await reference(run, phases)
    expect(expected.length).toBeGreaterThan(100)

    const client = new App(`sess-client-${run}`, { broker: `kafka://${bootstrap}`, logLevel: 'warn' })
    const transport = await openTransport(client)
    const producer = transport.createProducer()
    try {
      const input = `sess-in-${run}`
      const finalsTopic = `sess-finals-${run}`
      const send = (phase: Click[]) =>
        producer.send(
          phase.map((c) => ({
            topic: input,
            partition: c.partition,
            timestamp: c.timestamp,
            key: Buffer.from(JSON.stringify(c.user)),
            value: Buffer.from(JSON.stringify(c.user)),
          })),
        )

      const child = spawn(node, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'session-worker.ts')], {
        env: { ...process.env, RUN_SESSION_WORKER: '1', SESSION_RUN: run, FAUSTUS_TEST_KAFKA: bootstrap },
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      children.push(child)
      await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.includes('ready') && resolve()))
      await send(phases[0])
      // Killed once it has produced final results (some committed, maybe some in an open transaction).
      await waitFor(
        async () => {
          const high = await transport.listOffsets(partitionsOf(finalsTopic, SESSION_PARTITIONS), {
            isolationLevel: 'read_uncommitted',
          })
          return high.some((h) => h.latest > 0)
        },
        180_000,
        'first final results',
        { intervalMs: 100 },
      )
      child.kill('SIGKILL')
      await send(phases[1])

      const survivor = sessionWorker(run, `kafka://${bootstrap}`)
      await survivor.app.start()
      try {
        await allCommitted(transport, survivor.app.groupId, partitionsOf(input, SESSION_PARTITIONS))
        const finals = (await readToEnd(transport, partitionsOf(finalsTopic, SESSION_PARTITIONS))).map((r) => {
          const value = JSON.parse(r.value!.toString()) as FinalResult<number>
          return [JSON.parse(r.key!.toString()), value.start, value.end, value.value] as Final
        })
        console.log(
          `session finals across kill -9: ${finals.length} committed, ${expected.length} expected, ` +
            `${survivor.clicks.lateDropped} late dropped by the survivor`,
        )
        expect(sorted(finals)).toEqual(sorted(expected))
      } finally {
        await survivor.app.stop()
      }
    } finally {
      await producer.close()
      await transport.close()
    }
  }, 300_000)
})
