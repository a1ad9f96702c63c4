// Building blocks of the fault suite: worker processes (bench/faults/worker.ts), a feeder producing numbered input
// records at a steady rate, and a reader following the output topic; the tally counts lost and duplicated records
// after reading the output to its end offsets, and the time to resume after each fault.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Admin } from '@platformatic/kafka'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import type { ConsumedRecord, Consumer, Producer } from '../../src/transport/types.ts'

const root = join(import.meta.dirname, '..', '..')
const nodeBin = join(root, 'node_modules', '.bin', 'node')
export const KEYS = 40

export type Guarantee = 'at_least_once' | 'exactly_once'

export interface WorkerOptions {
  name: string
  guarantee: Guarantee
  sessionMs?: number
  instanceId?: string
  replicas?: number
  /** The input is a Faust record topic. */
  recordInput?: boolean
  deadLetterTopic?: string
}

export interface WorkerProcess {
  name: string
  child: ChildProcess
  ready: Promise<void>
  /** Set when the process ended: its exit code or signal. */
  exit: string | undefined
  /** Lines of its stderr that look like a crash. */
  crashLines: string[]
}

const silentLog = { debug: () => {}, info: () => {}, warn: () => {} }

/** One scenario's brokers, topics, workers, feeder and output reader. */
export class FaultRun {
  readonly run = randomUUID().slice(0, 8)
  readonly input: string
  readonly output: string
  readonly changelog: string
  readonly workers = new Map<string, WorkerProcess>()
  /** Workers that ended without being told to (not a kill by the scenario). */
  readonly unexpectedExits: string[] = []
  readonly #expectedEnds = new Set<ChildProcess>()
  readonly #transport: KafkaTransport
  #producer: Producer | undefined
  #reader: Consumer | undefined
  readonly #logDir: string
  /** Acknowledged input ids, and when. */
  readonly acked: number[] = []
  /** Output records seen: id -> count; and (relayedAt, partition, worker) per record. */
  readonly seen = new Map<number, number>()
  readonly relays: {
    id: number
    relayedAt: number
    partition: number
    worker: string
    /** Output partition and offset, and when the reader got it. */
    outPartition: number
    outOffset: number
    arrivedAt: number
  }[] = []
  readonly #positions = new Map<number, number>()
  readonly #outputOffsets = new Set<string>()
  #feeding: Promise<void> | undefined
  #stopFeeding = false
  #nextId = 0
  #recordInput = false
  feedErrors = 0

  constructor(
    readonly bootstrap: string,
    readonly partitions = 6,
    readonly replicas = 1,
  ) {
    this.input = `f-in-${this.run}`
    this.output = `f-out-${this.run}`
    this.changelog = `fault-${this.run}-counts-changelog`
    this.#transport = new KafkaTransport({ url: `kafka://${bootstrap}`, logger: silentLog, connectTimeoutMs: 60_000 })
    this.#logDir = join(root, 'bench', 'results', 'faults-logs')
    mkdirSync(this.#logDir, { recursive: true })
  }

  async setup(options: { recordInput?: boolean } = {}): Promise<void> {
    this.#recordInput = options.recordInput === true
    await this.#transport.connect()
    const spec = (name: string) => ({ name, partitions: this.partitions, replicas: this.replicas })
    // The input takes records up to 4 MB (an oversized input); the output keeps the broker's 1 MB default.
    const input = { ...spec(this.input), config: { 'max.message.bytes': String(4 * 1024 * 1024) } }
    await this.#transport.ensureTopics([input, spec(this.output)])
    this.#producer = this.#transport.createProducer({ lingerMs: 5 })
    await this.#startReader()
  }

  spawnWorker(options: WorkerOptions): WorkerProcess {
    const log = createWriteStream(join(this.#logDir, `${this.run}-${options.name}.log`), { flags: 'a' })
    const child = spawn(nodeBin, ['--import', 'tsx', join(import.meta.dirname, 'worker.ts')], {
      cwd: root,
      env: {
        ...process.env,
        FAULT_RUN: this.run,
        FAULT_NAME: options.name,
        FAULT_BROKER: this.bootstrap,
        FAULT_GUARANTEE: options.guarantee,
        FAULT_PARTITIONS: String(this.partitions),
        FAULT_REPLICAS: String(options.replicas ?? this.replicas),
        FAULT_SESSION_MS: String(options.sessionMs ?? 10_000),
        FAULT_INSTANCE_ID: options.instanceId ?? '',
        FAULT_RECORD: options.recordInput ? '1' : '',
        FAULT_DEAD_LETTER: options.deadLetterTopic ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    const worker: WorkerProcess = {
      name: options.name,
      child,
      exit: undefined,
      crashLines: [],
      ready: new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (data: Buffer) => {
          log.write(data)
          if (data.includes('ready')) resolve()
        })
        child.once('exit', (code, signal) => reject(new Error(`worker ${options.name} ended (${code ?? signal})`)))
      }),
    }
    worker.ready.catch(() => {})
    child.stderr!.on('data', (data: Buffer) => {
      log.write(data)
      for (const line of data.toString().split('\n')) {
        if (/"level":(50|60)|crash/i.test(line)) worker.crashLines.push(line.slice(0, 400))
      }
    })
    child.once('exit', (code, signal) => {
      worker.exit = String(code ?? signal)
      if (!this.#expectedEnds.has(child)) this.unexpectedExits.push(`${options.name}: ${worker.exit}`)
      log.end()
    })
    this.workers.set(options.name, worker)
    return worker
  }

  /** Ends a worker: SIGKILL (kill -9) or SIGTERM (graceful stop, waited for). */
  async endWorker(name: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const worker = this.workers.get(name)
    if (!worker || worker.exit !== undefined) return
    this.#expectedEnds.add(worker.child)
    const ended = new Promise((resolve) => worker.child.once('exit', resolve))
    worker.child.kill(signal)
    await ended
  }

  /** Produces numbered records at `perSecond`, in batches every 50 ms, until `stopFeeding()`. */
  startFeeding(perSecond: number): void {
    const batch = Math.max(1, Math.round(perSecond / 20))
    this.#stopFeeding = false
    this.#feeding = (async () => {
      while (!this.#stopFeeding) {
        const started = Date.now()
        await this.feed(batch)
        const wait = 50 - (Date.now() - started)
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      }
    })()
  }

  async stopFeeding(): Promise<void> {
    this.#stopFeeding = true
    await this.#feeding
  }

  /** Produces `count` records and waits for their acknowledgement. */
  async feed(count: number): Promise<void> {
    const records = []
    const ids: number[] = []
    for (let i = 0; i < count; i++) {
      const id = this.#nextId++
      const key = `k${id % KEYS}`
      ids.push(id)
      records.push({
        topic: this.input,
        key: Buffer.from(JSON.stringify(key)),
        value: Buffer.from(JSON.stringify(this.#value({ id, key }))),
      })
    }
    try {
      await this.#producer!.send(records)
      this.acked.push(...ids)
    } catch {
      this.feedErrors++
    }
  }

  #value(fields: Record<string, unknown>, ns = 'fault.Item'): Record<string, unknown> {
    return this.#recordInput ? { ...fields, __faust: { ns } } : fields
  }

  /** Sends one record as given (bad inputs); `good` fields make it a counted input with an id. */
  async inject(value: Buffer | null, key = 'k0'): Promise<void> {
    await this.#producer!.send([{ topic: this.input, key: Buffer.from(JSON.stringify(key)), value }])
  }

  /** A valid record with extra fields, counted as an acknowledged input. */
  async feedOne(extra: Record<string, unknown>): Promise<number> {
    const id = this.#nextId++
    const key = `k${id % KEYS}`
    const value = Buffer.from(JSON.stringify(this.#value({ id, key, ...extra })))
    await this.#producer!.send([{ topic: this.input, key: Buffer.from(JSON.stringify(key)), value }])
    this.acked.push(id)
    return id
  }

  /** A record in Faust's format (with a namespace), as JSON bytes. */
  recordBytes(fields: Record<string, unknown>, ns = 'fault.Item'): Buffer {
    return Buffer.from(JSON.stringify({ ...fields, __faust: { ns } }))
  }

  async #startReader(): Promise<void> {
    // read_committed (as every reader here): under exactly-once, outputs of aborted transactions never count.
    const reader = this.#transport.createConsumer({
      isolationLevel: 'read_committed',
      handler: {
        onAssigned: () => {},
        onRevoked: () => {},
        // Past transaction markers too: under exactly-once a partition ends with one, after its last record.
        onPosition: (position) => {
          this.#positions.set(position.partition, position.offset)
        },
        onRecords: (records: ConsumedRecord[]) => {
          for (const record of records) {
            this.#positions.set(
              record.partition,
              Math.max(this.#positions.get(record.partition) ?? 0, record.offset + 1),
            )
            // A record the reader gets twice is one output (a duplicate is a second offset).
            const where = `${record.partition}@${record.offset}`
            if (this.#outputOffsets.has(where)) continue
            this.#outputOffsets.add(where)
            const value = JSON.parse(record.value!.toString()) as {
              id: number
              relayedAt: number
              partition: number
              worker: string
            }
            this.seen.set(value.id, (this.seen.get(value.id) ?? 0) + 1)
            this.relays.push({
              ...value,
              outPartition: record.partition,
              outOffset: record.offset,
              arrivedAt: Date.now(),
            })
          }
        },
      },
    })
    this.#reader = reader
    await reader.start()
    await reader.assign(
      Array.from({ length: this.partitions }, (_, partition) => ({ topic: this.output, partition, offset: 0 })),
    )
  }

  /** Waits until every acknowledged input is in the output and the reader is at the output's end offsets. */
  async drain(timeoutMs = 120_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline) {
      const missing = this.acked.some((id) => !this.seen.has(id))
      if (!missing) break
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    // Read to the end offsets as they are now: duplicates written late are counted too.
    const ends = await this.#transport.listOffsets(
      Array.from({ length: this.partitions }, (_, partition) => ({ topic: this.output, partition })),
    )
    while (Date.now() < deadline) {
      if (ends.every((end) => (this.#positions.get(end.partition) ?? 0) >= end.latest)) return true
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return false
  }

  /**
   * Copies of each id in the input topic (read to its end offsets). The feeder's producer may write a record twice
   * (a send retried across a broker restart after the first attempt was written), and a send reported failed may
   * have been written: an output is duplicated only beyond its input's copies, and the table's truth is the input.
   */
  inputCopies: Map<number, number> | undefined

  /** Reads the input topic to its end and fills `inputCopies`. */
  async countInputs(): Promise<void> {
    // Copies are distinct offsets: a record the reader happens to get twice is one copy.
    const offsets = new Map<number, Set<string>>()
    await this.#readToEnd(this.input, (record) => {
      if (record.value === null) return
      try {
        const id = (JSON.parse(record.value.toString()) as { id?: unknown }).id
        if (typeof id !== 'number') return
        let at = offsets.get(id)
        if (at === undefined) offsets.set(id, (at = new Set()))
        at.add(`${record.partition}@${record.offset}`)
      } catch {
        // A bad input of the bad-input scenario: not an id.
      }
    })
    this.inputCopies = new Map([...offsets].map(([id, at]) => [id, at.size]))
  }

  /**
   * Lost and duplicated outputs among the acknowledged inputs; `inputDuplicated`: extra copies the feeder's producer
   * wrote into the input (each relayed once per copy: not a duplicate of the worker's). Needs `countInputs` first.
   */
  tally(): { records: number; lost: number; duplicated: number; inputDuplicated: number } {
    let lost = 0
    let duplicated = 0
    let inputDuplicated = 0
    for (const id of this.acked) {
      const n = this.seen.get(id) ?? 0
      const copies = Math.max(1, this.inputCopies?.get(id) ?? 1)
      if (n === 0) lost++
      else duplicated += Math.max(0, n - copies)
    }
    for (const n of this.inputCopies?.values() ?? []) inputDuplicated += n - 1
    return { records: this.acked.length, lost, duplicated, inputDuplicated }
  }

  /** ms from `since` to the first record relayed after it (optionally only from `partitions`); undefined if none. */
  resumedAfter(since: number, partitions?: Set<number>): number | undefined {
    return this.#firstAfter(since, (relay) => !partitions || partitions.has(relay.partition), 'relayedAt')
  }

  /**
   * ms from `since` until the first record relayed after it reached one of the output `partitions` (the reader's
   * own recovery after a broker fault is included: an upper bound).
   */
  arrivedAfter(since: number, partitions: Set<number>): number | undefined {
    return this.#firstAfter(since, (relay) => partitions.has(relay.outPartition), 'arrivedAt')
  }

  /**
   * ms from `since` until the worker processed (its own clock, carried in the output) the first record read back
   * from one of the output `partitions` after it: a lower bound of the worker's resume, without the reader's own
   * recovery that `arrivedAfter` includes.
   */
  relayedAfter(since: number, partitions: Set<number>): number | undefined {
    return this.#firstAfter(since, (relay) => partitions.has(relay.outPartition), 'relayedAt')
  }

  /** ms from `since` to the earliest `at` time of the records relayed after it that `matches` selects. */
  #firstAfter(
    since: number,
    matches: (relay: FaultRun['relays'][number]) => boolean,
    at: 'relayedAt' | 'arrivedAt',
  ): number | undefined {
    let first = Number.POSITIVE_INFINITY
    for (const relay of this.relays) {
      if (relay.relayedAt > since && relay[at] < first && matches(relay)) first = relay[at]
    }
    return Number.isFinite(first) ? first - since : undefined
  }

  /** Partitions of `topic` led by broker `node`. */
  async ledBy(topic: string, node: number): Promise<Set<number>> {
    const admin = new Admin({ clientId: 'fault-suite', bootstrapBrokers: this.bootstrap.split(',') })
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
      const led = new Set<number>()
      metadata.topics.get(topic)!.partitions.forEach((p, i) => {
        if (p.leader === node) led.add(i)
      })
      return led
    } finally {
      await admin.close()
    }
  }

  /** Partitions whose latest relayed record came from `worker`. */
  partitionsOf(worker: string): Set<number> {
    const last = new Map<number, { at: number; worker: string }>()
    for (const r of this.relays) {
      const seen = last.get(r.partition)
      if (!seen || r.relayedAt >= seen.at) last.set(r.partition, { at: r.relayedAt, worker: r.worker })
    }
    return new Set([...last].filter(([, v]) => v.worker === worker).map(([p]) => p))
  }

  /** Waits until `n` more output records arrived (progress under way). */
  async waitForOutputs(n: number, timeoutMs = 120_000): Promise<void> {
    const target = this.relays.length + n
    const deadline = Date.now() + timeoutMs
    while (this.relays.length < target) {
      if (Date.now() > deadline) throw new Error(`no progress: ${this.relays.length}/${target} outputs`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /**
   * The count table as its changelog says (last value per key), against the truth: the input topic's records (every
   * copy, as the worker counts each), else the acknowledged inputs.
   */
  async tableCheck(): Promise<{ keysUnder: number; overCount: number; readToEnd: boolean }> {
    const truth = new Map<string, number>()
    const ids = this.inputCopies ?? new Map(this.acked.map((id) => [id, 1]))
    for (const [id, n] of ids) truth.set(`k${id % KEYS}`, (truth.get(`k${id % KEYS}`) ?? 0) + n)
    const table = new Map<string, number>()
    // The value at the highest offset per key: a record the reader gets again later must not roll a key back.
    const at = new Map<string, number>()
    const readToEnd = await this.#readToEnd(this.changelog, (record) => {
      if (record.key === null || record.value === null) return
      let key: string
      let value: number
      try {
        key = JSON.parse(record.key.toString())
        value = JSON.parse(record.value.toString())
      } catch {
        key = record.key.toString()
        value = Number(record.value.toString())
      }
      const slot = `${record.partition}/${key}`
      if ((at.get(slot) ?? -1) > record.offset) return
      at.set(slot, record.offset)
      table.set(key, value)
    })
    let keysUnder = 0
    let overCount = 0
    for (const [key, count] of truth) {
      const value = table.get(key) ?? 0
      if (value < count) keysUnder++
      else overCount += value - count
    }
    return { keysUnder, overCount, readToEnd }
  }

  /** Every record of `topic` (read_committed) up to its end offsets as they are now; false if not reached in 60 s. */
  async #readToEnd(topic: string, onRecord: (record: ConsumedRecord) => void): Promise<boolean> {
    const ends = await this.#transport.listOffsets(
      Array.from({ length: this.partitions }, (_, partition) => ({ topic, partition })),
    )
    const positions = new Map<number, number>()
    const reader = this.#transport.createConsumer({
      isolationLevel: 'read_committed',
      handler: {
        onAssigned: () => {},
        onRevoked: () => {},
        onPosition: (position) => {
          positions.set(position.partition, position.offset)
        },
        onRecords: (records: ConsumedRecord[]) => {
          for (const record of records) {
            positions.set(record.partition, Math.max(positions.get(record.partition) ?? 0, record.offset + 1))
            onRecord(record)
          }
        },
      },
    })
    await reader.start()
    await reader.assign(ends.map((end) => ({ topic, partition: end.partition, offset: 0 })))
    const deadline = Date.now() + 60_000
    while (!ends.every((end) => (positions.get(end.partition) ?? 0) >= end.latest) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const readToEnd = ends.every((end) => (positions.get(end.partition) ?? 0) >= end.latest)
    await reader.close()
    return readToEnd
  }

  /**
   * Diagnostics for duplicated outputs: the output read again from the start by a fresh read_committed reader of
   * ours, and by kcat (librdkafka) read_committed and read_uncommitted, each written to the run's log folder as
   * `partition offset id` lines; returns the duplicated ids each reader finds (beyond the input's copies).
   */
  async rereadOutput(): Promise<{ fresh: number; freshReadToEnd: boolean; kcatCommitted: number | undefined }> {
    const lines: string[] = []
    const fresh = new Map<number, number>()
    const freshReadToEnd = await this.#readToEnd(this.output, (record) => {
      const id = (JSON.parse(record.value!.toString()) as { id: number }).id
      fresh.set(id, (fresh.get(id) ?? 0) + 1)
      lines.push(`${record.partition} ${record.offset} ${id}`)
    })
    writeFileSync(join(this.#logDir, `${this.run}-output-fresh.txt`), `${lines.join('\n')}\n`)
    const extra = (counts: Map<number, number>) => {
      let n = 0
      for (const [id, c] of counts) n += Math.max(0, c - Math.max(1, this.inputCopies?.get(id) ?? 1))
      return n
    }
    let kcatCommitted: number | undefined
    for (const isolation of ['read_committed', 'read_uncommitted']) {
      const out = spawnSync(
        'kcat',
        [
          '-C',
          '-b',
          this.bootstrap,
          '-t',
          this.output,
          '-X',
          `isolation.level=${isolation}`,
          '-e',
          '-q',
          '-f',
          '%p %o %s\n',
        ],
        { maxBuffer: 1 << 30 },
      )
      const text = out.stdout?.toString() ?? ''
      writeFileSync(join(this.#logDir, `${this.run}-output-kcat-${isolation}.txt`), text)
      if (out.status !== 0) {
        writeFileSync(join(this.#logDir, `${this.run}-output-kcat-${isolation}.err`), `${out.error ?? out.stderr}`)
        continue
      }
      if (isolation === 'read_committed') {
        const counts = new Map<number, number>()
        for (const line of text.split('\n')) {
          const json = line.slice(line.indexOf(' ', line.indexOf(' ') + 1) + 1)
          if (!json) continue
          const id = (JSON.parse(json) as { id: number }).id
          counts.set(id, (counts.get(id) ?? 0) + 1)
        }
        kcatCommitted = extra(counts)
      }
    }
    return { fresh: extra(fresh), freshReadToEnd, kcatCommitted }
  }

  /** The node id leading `topic`[`partition`]. */
  async leaderOf(topic: string, partition: number): Promise<number> {
    const admin = new Admin({ clientId: 'fault-suite', bootstrapBrokers: this.bootstrap.split(',') })
    try {
      const metadata = await admin.metadata({ topics: [topic], forceUpdate: true })
      return metadata.topics.get(topic)!.partitions[partition].leader
    } finally {
      await admin.close()
    }
  }

  async close(): Promise<void> {
    await this.stopFeeding()
    await Promise.all([...this.workers.keys()].map((name) => this.endWorker(name, 'SIGKILL')))
    await this.#reader?.close()
    await this.#transport.close()
  }
}
