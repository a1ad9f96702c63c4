// Short CI version of the fault suite's worker kill (bench/faults): two worker processes relay and count; one is
// killed with SIGKILL mid-stream; the survivor takes its partitions after the (short) session timeout. Every
// acknowledged input is in the output, read to its end offsets; the count table lost nothing.
import { afterAll, describe, expect, inject, it } from 'vitest'
import { FaultRun } from '../../bench/faults/harness.ts'
import { waitFor } from '../helpers.ts'

let f: FaultRun | undefined

afterAll(async () => {
  await f?.close()
})

describe('fault: kill -9 of one of two workers', () => {
  it('the survivor takes over; 0 lost, no worker exits', async () => {
    f = new FaultRun(inject('kafkaBootstrap'))
    await f.setup()
    const a = f.spawnWorker({ name: 'a', guarantee: 'at_least_once', sessionMs: 3_000 })
    const b = f.spawnWorker({ name: 'b', guarantee: 'at_least_once', sessionMs: 3_000 })
    await Promise.all([a.ready, b.ready])
    f.startFeeding(200)
    await f.waitForOutputs(500)
    const victim = f.partitionsOf('b')
    const killedAt = Date.now()
    await f.endWorker('b', 'SIGKILL')
    // Progress on the dead worker's partitions, by the survivor.
    const run = f
    const resumed = async () => {
      if (run.resumedAfter(killedAt, victim) !== undefined) return true
      await run.waitForOutputs(1)
      return false
    }
    await waitFor(resumed, 120_000, "progress on the dead worker's partitions", { intervalMs: 0 })
    expect(f.resumedAfter(killedAt, victim)).toBeDefined()
    await f.stopFeeding()
    expect(await f.drain()).toBe(true)
    const { records, lost } = f.tally()
    expect(records).toBeGreaterThan(0)
    expect(lost).toBe(0)
    expect(f.unexpectedExits).toEqual([])
    await f.endWorker('a', 'SIGTERM')
    expect((await f.tableCheck()).keysUnder).toBe(0)
  }, 240_000)
})
