// Session windows and final results on a real broker, across a kill -9: a worker process counts clicks per user
// session (exactly-once) and is killed with SIGKILL mid-stream; a second worker recovers the sessions and the stream
// time from the changelog and finishes. The committed final results (read_committed, to the end offsets) must equal
// those of the same app run without a fault on the memory transport: none lost, none repeated, late events dropped
// the same way.
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { App, type FinalResult } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { allCommitted, openTransport, partitionsOf, readToEnd, waitFor } from '../helpers.ts'
import { type Click, clickRecords, clicks, flush, spawnWorker } from './fixtures/clicks.ts'
import { SESSION_PARTITIONS, sessionWorker } from './fixtures/session-worker.ts'

const children: ChildProcess[] = []

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
})

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
      const send = (phase: Click[]) => producer.send(clickRecords(input, phase))

      const child = await spawnWorker(
        'session-worker.ts',
        { RUN_SESSION_WORKER: '1', SESSION_RUN: run, FAUSTUS_TEST_KAFKA: bootstrap },
        children,
      )
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
