// The fault scenarios. Each returns one row: records acknowledged into the input, lost and duplicated outputs (read
// to the output's end offsets), the time to resume after each fault, and whether a worker exited on its own.
import type { KafkaCluster } from '../../scripts/kafka/index.ts'
import { FaultRun, type Guarantee } from './harness.ts'

export interface ScenarioRow {
  scenario: string
  guarantee: Guarantee
  tries: number
  records: number
  lost: number
  /** Outputs beyond their input's copies: processed more than once. */
  duplicated: number
  /** Extra copies of inputs the feeder's producer wrote (a send retried across a broker restart). */
  inputDuplicated?: number
  /** ms from the fault's end (broker answering again, or the kill) to the first record relayed after it. */
  resumeMs: number[]
  /** Workers that exited without being told to. */
  workerExits: string[]
  table?: { keysUnder: number; overCount: number; readToEnd: boolean }
  note?: string
}

export type Log = (message: string) => void

const RATE = 400

async function finish(
  f: FaultRun,
  row: Omit<ScenarioRow, 'records' | 'lost' | 'duplicated' | 'inputDuplicated' | 'workerExits'>,
  log: Log,
): Promise<ScenarioRow> {
  await f.stopFeeding()
  const drained = await f.drain()
  const exits = [...f.unexpectedExits]
  // A graceful stop commits the table's last changelog records before the table is read.
  for (const name of f.workers.keys()) await f.endWorker(name, 'SIGTERM')
  await f.countInputs()
  const table = await f.tableCheck().catch(() => undefined)
  const result: ScenarioRow = { ...row, ...f.tally(), workerExits: exits, ...(table ? { table } : {}) }
  if (!drained) result.note = `${result.note ?? ''} output not drained before the deadline`.trim()
  if (f.feedErrors > 0) result.note = `${result.note ?? ''} ${f.feedErrors} feeder sends failed`.trim()
  if (result.duplicated > 0) {
    log(`${row.scenario}: duplicated inputs ${JSON.stringify(duplicateRelays(f))}`)
    log(`${row.scenario}: output read again after the run (run ${f.run}): ${JSON.stringify(await f.rereadOutput())}`)
  }
  log(`${row.scenario}: ${JSON.stringify(result)}`)
  await f.close()
  return result
}

/** The relays of the first inputs that are in the output more than once: when and where each copy was processed. */
function duplicateRelays(f: FaultRun, limit = 10): { id: number; relays: [number, number, string, string][] }[] {
  const ids = [...f.seen].filter(([id, n]) => n > Math.max(1, f.inputCopies?.get(id) ?? 1)).slice(0, limit)
  return ids.map(([id]) => ({
    id,
    relays: f.relays
      .filter((r) => r.id === id)
      .map((r) => [r.relayedAt, r.partition, r.worker, `${r.outPartition}@${r.outOffset}`]),
  }))
}

/** kill -9 of one of two workers mid-stream; the survivor takes over after the session timeout. */
export async function workerKill(
  cluster: KafkaCluster,
  guarantee: Guarantee,
  log: Log,
  options: { sessionMs?: number; static?: boolean } = {},
): Promise<ScenarioRow> {
  const f = new FaultRun(cluster.bootstrap)
  await f.setup()
  const sessionMs = options.sessionMs ?? 6_000
  const a = f.spawnWorker({ name: 'a', guarantee, sessionMs, instanceId: options.static ? `${f.run}-a` : undefined })
  const b = f.spawnWorker({ name: 'b', guarantee, sessionMs, instanceId: options.static ? `${f.run}-b` : undefined })
  await Promise.all([a.ready, b.ready])
  f.startFeeding(RATE)
  await f.waitForOutputs(2_000)
  const victim = f.partitionsOf('b')
  const killedAt = Date.now()
  await f.endWorker('b', 'SIGKILL')
  log(`killed worker b (partitions ${[...victim].join(',')})`)
  let readyAt: number | undefined
  if (options.static) {
    // The replacement comes back with the same instance id: it takes b's partitions without waiting for b to expire.
    await f.spawnWorker({ name: 'b2', guarantee, sessionMs, instanceId: `${f.run}-b` }).ready
    readyAt = Date.now()
  }
  await f.waitForOutputs(2_000)
  await new Promise((resolve) => setTimeout(resolve, 2_000))
  const resume = f.resumedAfter(killedAt, victim)
  const fromReady = readyAt === undefined ? undefined : f.resumedAfter(readyAt, victim)
  return finish(
    f,
    {
      scenario: options.static ? 'worker kill -9, static membership, replacement' : 'worker kill -9 (1 of 2)',
      guarantee,
      tries: 1,
      resumeMs: resume === undefined ? [] : [resume],
      note:
        `session timeout ${sessionMs} ms; resume measured from the kill` +
        (readyAt === undefined
          ? ''
          : `; ${fromReady} ms after the replacement process was up (it boots after the kill)`),
    },
    log,
  )
}

/** One broker of a 1-broker cluster stopped (SIGTERM or SIGKILL), down `downMs`, started again; `tries` times. */
export async function brokerRestart(
  cluster: KafkaCluster,
  guarantee: Guarantee,
  log: Log,
  options: { signal: 'SIGTERM' | 'SIGKILL'; tries: number; downMs: number; scenario?: string },
): Promise<ScenarioRow> {
  const f = new FaultRun(cluster.bootstrap)
  await f.setup()
  const w = f.spawnWorker({ name: 'a', guarantee, sessionMs: 10_000 })
  await w.ready
  f.startFeeding(RATE)
  await f.waitForOutputs(1_000)
  const resumeMs: number[] = []
  for (let i = 0; i < options.tries; i++) {
    await cluster.stopBroker(1, options.signal)
    await new Promise((resolve) => setTimeout(resolve, options.downMs))
    await cluster.startBroker(1)
    const back = Date.now()
    await f.waitForOutputs(500, 180_000)
    const resume = f.resumedAfter(back)
    if (resume !== undefined) resumeMs.push(resume)
    // Also when the first output relayed after it was read back (committed, under exactly-once): an upper bound.
    const visible = f.arrivedAfter(back, allPartitions(f))
    log(
      `${options.signal} restart ${i + 1}/${options.tries}: resumed ${resume} ms after the broker answered ` +
        `(at ${new Date(back).toISOString()}; read back after ${visible} ms)`,
    )
    if (f.unexpectedExits.length > 0) break
  }
  return finish(
    f,
    {
      scenario: options.scenario ?? `single broker ${options.signal} restart (down ${options.downMs / 1000} s)`,
      guarantee,
      tries: options.tries,
      resumeMs,
    },
    log,
  )
}

/** kill -9 of the leader of an output partition in a 3-broker cluster (replication factor 3); restarted after. */
export async function leaderKill(cluster: KafkaCluster, guarantee: Guarantee, log: Log): Promise<ScenarioRow> {
  const f = new FaultRun(cluster.bootstrap, 6, 3)
  await f.setup()
  const w = f.spawnWorker({ name: 'a', guarantee, sessionMs: 10_000, replicas: 3 })
  await w.ready
  f.startFeeding(RATE)
  await f.waitForOutputs(1_000)
  const leader = await f.leaderOf(f.output, 0)
  const led = await f.ledBy(f.output, leader)
  const killedAt = Date.now()
  await cluster.stopBroker(leader, 'SIGKILL')
  log(`killed broker ${leader}, leader of ${f.output} partitions ${[...led].join(',')}`)
  const deadline = Date.now() + 180_000
  while (f.arrivedAfter(killedAt, led) === undefined && Date.now() < deadline) await f.waitForOutputs(1, 180_000)
  await f.waitForOutputs(2_000, 180_000)
  const resume = f.arrivedAfter(killedAt, led)
  const relayed = f.relayedAfter(killedAt, led)
  await cluster.startBroker(leader)
  return finish(
    f,
    {
      scenario: 'leader kill -9, 3 brokers, RF 3',
      guarantee,
      tries: 1,
      resumeMs: resume === undefined ? [] : [resume],
      note:
        "resume: from the kill until new output reached the dead leader's partitions (read back, an upper bound); " +
        `the worker processed the first of those outputs ${relayed} ms after the kill (a lower bound)`,
    },
    log,
  )
}

/** 10 worker joins and leaves (graceful) under load, beside one worker that stays. */
export async function joinsAndLeaves(cluster: KafkaCluster, guarantee: Guarantee, log: Log): Promise<ScenarioRow> {
  const f = new FaultRun(cluster.bootstrap)
  await f.setup()
  await f.spawnWorker({ name: 'stay', guarantee, sessionMs: 10_000 }).ready
  f.startFeeding(RATE)
  await f.waitForOutputs(1_000)
  for (let i = 0; i < 10; i++) {
    const name = `j${i}`
    await f.spawnWorker({ name, guarantee, sessionMs: 10_000 }).ready
    await f.waitForOutputs(300)
    await f.endWorker(name, 'SIGTERM')
    await f.waitForOutputs(300)
    log(`join/leave ${i + 1}/10 done`)
  }
  return finish(f, { scenario: '10 worker joins and leaves', guarantee, tries: 10, resumeMs: [] }, log)
}

/**
 * The bad-input set, one row each: a bad record, then a good one; the stream must go on (the good record relayed)
 * and no worker may exit. A worker that did exit is started again for the next input.
 */
export async function badInputs(cluster: KafkaCluster, guarantee: Guarantee, log: Log): Promise<ScenarioRow[]> {
  const f = new FaultRun(cluster.bootstrap)
  await f.setup({ recordInput: true })
  const big = 'x'.repeat(1_500_000)
  const inputs: { kind: string; send: () => Promise<unknown>; deadLetter?: boolean }[] = [
    { kind: 'malformed JSON', send: () => f.inject(Buffer.from('{"id": 1, "key": ')) },
    { kind: 'failing validation', send: () => f.inject(f.recordBytes({ id: 'not-an-int', key: 'k0' })) },
    { kind: 'unknown namespace', send: () => f.inject(f.recordBytes({ id: 1, key: 'k0' }, 'no.such.Record')) },
    { kind: 'binary garbage', send: () => f.inject(Buffer.from([0xff, 0x00, 0xfe, 0x13, 0x37, 0x80, 0x81])) },
    { kind: 'tombstone on a record topic', send: () => f.inject(null) },
    { kind: 'oversized record in (1.5 MB)', send: () => f.feedOne({ pad: big }) },
    { kind: 'oversized record out (1.5 MB to a 1 MB topic)', send: () => f.feedOne({ pad: big, copyPad: 1 }) },
    { kind: 'missing dead-letter topic', send: () => f.inject(Buffer.from('not json')), deadLetter: true },
  ]
  const rows: ScenarioRow[] = []
  let worker = f.spawnWorker({ name: 'bad-0', guarantee, recordInput: true })
  await worker.ready
  let crashed = false
  for (const [i, input] of inputs.entries()) {
    if (input.deadLetter || worker.exit !== undefined || crashed) {
      await f.endWorker(worker.name, 'SIGTERM')
      worker = f.spawnWorker({
        name: `bad-${i}`,
        guarantee,
        recordInput: true,
        ...(input.deadLetter ? { deadLetterTopic: `f-dlt-${f.run}` } : {}),
      })
      await worker.ready.catch(() => {})
    }
    const exitsBefore = f.unexpectedExits.length
    const sentAt = Date.now()
    await input.send()
    const probe = await f.feedOne({})
    const deadline = Date.now() + 30_000
    while (!f.seen.has(probe) && Date.now() < deadline && worker.exit === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const arrived = f.seen.has(probe)
    // A failed output surfaces at the next checkpoint (every 500 ms): give it two before judging.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    const exits = f.unexpectedExits.slice(exitsBefore)
    if (worker.crashLines.some((line) => line.includes('"msg":"app crashed"')))
      exits.push(`${worker.name}: app crashed`)
    const resume = arrived ? f.resumedAfter(sentAt) : undefined
    const row: ScenarioRow = {
      scenario: `bad input: ${input.kind}`,
      guarantee,
      tries: 1,
      records: 1,
      lost: arrived ? 0 : 1,
      duplicated: 0,
      resumeMs: resume === undefined ? [] : [resume],
      workerExits: exits,
      note: `${arrived ? 'the next good record was relayed' : 'the next good record was NOT relayed within 30 s'}${
        worker.crashLines.length ? `; last error line: ${worker.crashLines.at(-1)!.slice(0, 200)}` : ''
      }`,
    }
    crashed = exits.length > 0
    worker.crashLines.length = 0
    log(`${row.scenario}: ${JSON.stringify(row)}`)
    rows.push(row)
  }
  await f.close()
  return rows
}

function allPartitions(f: FaultRun): Set<number> {
  return new Set(Array.from({ length: f.partitions }, (_, p) => p))
}
