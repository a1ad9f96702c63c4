// Short CI version of the fault suite's broker restarts (bench/faults): a single broker of its own is stopped with
// SIGTERM, started again, then killed with SIGKILL and started again, while a worker relays a steady stream. The
// worker never exits and resumes by itself; every acknowledged input is in the output, read to its end offsets.
import { afterAll, describe, expect, it } from 'vitest'
import { FaultRun } from '../../bench/faults/harness.ts'
import { type KafkaCluster, startKafka } from '../../scripts/kafka/index.ts'

let cluster: KafkaCluster | undefined
let f: FaultRun | undefined

afterAll(async () => {
  await f?.close()
  await cluster?.stop()
})

describe('fault: single broker restarts', () => {
  it('SIGTERM and SIGKILL restarts: the worker survives and resumes; 0 lost', async () => {
    cluster = await startKafka({ brokers: 1 })
    f = new FaultRun(cluster.bootstrap)
    await f.setup()
    const worker = f.spawnWorker({ name: 'a', guarantee: 'at_least_once', sessionMs: 6_000 })
    await worker.ready
    f.startFeeding(200)
    await f.waitForOutputs(300)
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      await cluster.stopBroker(1, signal)
      await cluster.startBroker(1)
      const back = Date.now()
      while (f.resumedAfter(back) === undefined) await f.waitForOutputs(1, 180_000)
      expect(f.unexpectedExits).toEqual([])
    }
    await f.stopFeeding()
    expect(await f.drain()).toBe(true)
    const { records, lost } = f.tally()
    expect(records).toBeGreaterThan(0)
    expect(lost).toBe(0)
    expect(f.unexpectedExits).toEqual([])
    expect(worker.exit).toBeUndefined()
  }, 400_000)
})
