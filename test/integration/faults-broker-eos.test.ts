// Exactly-once through single-broker restarts (short CI version of `npm run faults -- --only broker-sigterm,
// broker-sigkill,outage-60s --guarantee exactly_once`): a broker of its own is stopped with SIGTERM and started
// again, then killed with SIGKILL and started again, while an exactly-once worker process relays a steady stream
// and counts it in a table. Each restart fails a transaction: the worker rewinds in place (new producer, seek to the
// committed offsets) and never exits, every acknowledged input is in the output (read with read_committed to the
// end offsets), the count table equals the truth for every key (the client library's read_committed filter once
// dropped committed changelog records after some restarts: test/transport-kafka/aborted-records.test.ts), and each
// input copy has exactly one output (earlier builds counted some outputs twice after a SIGTERM restart; when a run
// does, the output is read again by a fresh reader and kcat to show whether both copies are committed).
// Inputs the feeder's producer wrote twice across a restart are relayed once per copy: not counted as duplicates.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { FaultRun } from '../../bench/faults/harness.ts'
import { type KafkaCluster, startKafka } from '../../scripts/kafka/index.ts'

let cluster: KafkaCluster | undefined
let f: FaultRun | undefined

afterAll(async () => {
  await f?.close()
  await cluster?.stop()
})

/** The worker's rewinds, from its log: how each ended (`seek` in place, or `rejoin`). */
function rewindsOf(run: string, worker: string): string[] {
  const log = readFileSync(
    join(import.meta.dirname, '..', '..', 'bench', 'results', 'faults-logs', `${run}-${worker}.log`),
  )
  const methods: string[] = []
  for (const line of log.toString().split('\n')) {
    if (!line.includes('rewound: consuming again')) continue
    methods.push((JSON.parse(line) as { method: string }).method)
  }
  return methods
}

describe('fault: single broker restarts under exactly-once', () => {
  it('SIGTERM and SIGKILL restarts: the worker rewinds in place and never exits; 0 lost', async () => {
    cluster = await startKafka({ brokers: 1 })
    f = new FaultRun(cluster.bootstrap)
    await f.setup()
    const worker = f.spawnWorker({ name: 'a', guarantee: 'exactly_once', sessionMs: 10_000 })
    await worker.ready
    f.startFeeding(200)
    await f.waitForOutputs(300)
    const restart = async (signal: 'SIGTERM' | 'SIGKILL') => {
      await cluster?.stopBroker(1, signal)
      await cluster?.startBroker(1)
      const back = Date.now()
      while (f?.resumedAfter(back) === undefined) await f?.waitForOutputs(1, 180_000)
      console.log(`exactly-once broker ${signal} restart: resumed ${f.resumedAfter(back)} ms after the broker was back`)
      expect(f.unexpectedExits).toEqual([])
    }
    await restart('SIGTERM')
    await restart('SIGKILL')
    // A restart that falls between two checkpoints needs no rewind (the producer's retries carry the transaction
    // through); restart again, up to three times, until one has failed a checkpoint, so the rewind is exercised.
    for (let extra = 0; extra < 3 && rewindsOf(f.run, 'a').length === 0; extra++) await restart('SIGKILL')
    await f.stopFeeding()
    expect(await f.drain()).toBe(true)
    // The feeder's producer may write an input twice (a send retried across the restart): each copy is relayed once.
    await f.countInputs()
    const { records, lost, duplicated, inputDuplicated } = f.tally()
    console.log(
      `exactly-once broker restarts: ${records} inputs (${inputDuplicated} written twice by the feeder), ${lost} lost, ${duplicated} duplicated`,
    )
    // Duplicates: is the second copy really committed? A fresh read_committed reader and kcat read the output again
    // (dumps in bench/results/faults-logs/<run>-output-*.txt).
    if (duplicated > 0)
      console.log(`exactly-once broker restarts: read again ${JSON.stringify(await f.rereadOutput())}`)
    expect(records).toBeGreaterThan(0)
    expect(lost).toBe(0)
    expect(duplicated).toBe(0)
    expect(f.unexpectedExits).toEqual([])
    expect(worker.exit).toBeUndefined()
    // The member stayed in its group through both restarts: every rewind sought in place, none rejoined.
    const methods = rewindsOf(f.run, 'a')
    console.log(`exactly-once broker restarts: rewinds ${JSON.stringify(methods)}`)
    expect(methods.length).toBeGreaterThan(0)
    expect(methods.filter((m) => m !== 'seek')).toEqual([])
    // A graceful stop commits the table's last changelog records.
    await f.endWorker('a', 'SIGTERM')
    const table = await f.tableCheck()
    console.log(`exactly-once broker restarts: duplicated ${duplicated}, table ${JSON.stringify(table)}`)
    expect(table.readToEnd).toBe(true)
    expect(table.keysUnder).toBe(0)
    expect(table.overCount).toBe(0)
  }, 400_000)
})
