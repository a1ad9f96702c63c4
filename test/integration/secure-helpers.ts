// Shared by test/integration/secure-*.test.ts: a secured broker of its own per file, worker processes configured
// only through FAUSTUS_* variables (PEM paths), every line they print kept for the secret scan.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type KafkaCluster, runRoot, startKafka } from '../../scripts/kafka/index.ts'
import { clientEnv, type SecurityMode } from '../../scripts/kafka/security.ts'
import { KafkaTransport, type KafkaTransportOptions } from '../../src/transport/kafka/index.ts'
import { partitionsOf, readToEnd, waitFor } from '../helpers.ts'
import { quietLogger } from './kafka-helpers.ts'

const fixture = join(import.meta.dirname, 'fixtures', 'secure-worker.ts')
const node = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'node')

/** Everything the secured tests saw: child output at trace level, driver log lines, error messages. */
export const seen: string[] = []

export async function startSecured(mode: SecurityMode): Promise<KafkaCluster> {
  return startKafka({
    brokers: 1,
    security: mode,
    dir: join(runRoot(), `secure-${mode}-${process.pid}-${randomBytes(3).toString('hex')}`),
    log: (message) => process.stderr.write(`[kafka ${mode}] ${message}\n`),
  })
}

/** Client options from code: PEM files read by path, SASL from the script's client settings. */
export function codeOptions(cluster: KafkaCluster, extra: Partial<KafkaTransportOptions> = {}): KafkaTransportOptions {
  const s = cluster.security!
  const logger = quietLogger()
  const options: KafkaTransportOptions = {
    url: `kafka://${cluster.bootstrap}`,
    logger: {
      debug: (obj, msg) => void seen.push(`${msg} ${JSON.stringify(obj)}`),
      info: (obj, msg) => void seen.push(`${msg} ${JSON.stringify(obj)}`),
      warn: (obj, msg) => {
        seen.push(`${msg} ${JSON.stringify(obj)}`)
        logger.warn(obj, msg)
      },
    },
    ...(s.protocol !== 'SASL_PLAINTEXT'
      ? { tls: { caFile: s.caFile, ...(s.certFile ? { certFile: s.certFile, keyFile: s.keyFile } : {}) } }
      : {}),
    ...(s.mechanism ? { sasl: { mechanism: s.mechanism, username: s.username, password: s.password } } : {}),
  }
  return { ...options, ...extra }
}

export interface Child {
  process: ChildProcess
  lines: string[]
  waitFor(pattern: RegExp): Promise<string>
}

const children = new Set<ChildProcess>()

export function spawnFixture(
  cluster: KafkaCluster,
  appId: string,
  role: 'worker' | 'asker' | 'eos',
  extraEnv: Record<string, string> = {},
): Child {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...clientEnv(cluster.security!, cluster.bootstrap),
    ...extraEnv,
    FAUSTUS_LOG_LEVEL: 'trace',
    FAUSTUS_LOG_FORMAT: 'json',
    SECURE_APP_ID: appId,
    SECURE_ROLE: role,
  }
  delete env.FAUSTUS_TEST_KAFKA
  const child = spawn(node, ['--import', 'tsx', fixture], { env, stdio: ['pipe', 'pipe', 'pipe'] })
  children.add(child)
  child.on('exit', () => children.delete(child))
  const lines: string[] = []
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = []
  const onData = (data: Buffer) => {
    const text = data.toString()
    seen.push(text)
    if (process.env.FAUSTUS_TEST_VERBOSE) process.stderr.write(text)
    for (const line of text.split('\n')) {
      lines.push(line)
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1)
          w.resolve(line)
        }
      }
    }
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  return {
    process: child,
    lines,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const found = lines.find((line) => pattern.test(line))
        if (found) return resolve(found)
        waiters.push({ pattern, resolve })
        child.once('exit', (code) =>
          reject(new Error(`${role} exited (${code}) before printing ${pattern}:\n${lines.slice(-30).join('\n')}`)),
        )
      }),
  }
}

export function stopChild(child: Child): Promise<void> {
  return new Promise((resolve) => {
    if (child.process.exitCode !== null) return resolve()
    child.process.once('exit', () => resolve())
    child.process.kill('SIGTERM')
  })
}

export function killChildren(): void {
  for (const child of children) child.kill('SIGKILL')
}

/**
 * The end-to-end scenario on a secured broker: an agent counting words into a table (changelog) in worker A; an ask
 * from a second process answered by A; A stopped and worker B recovering the table from its changelog.
 */
export async function runScenario(cluster: KafkaCluster): Promise<void> {
  const appId = `sec-${randomUUID().slice(0, 8)}`
  const a = spawnFixture(cluster, appId, 'worker')
  await a.waitFor(/^ready$/)

  // The test's own producer is configured from code (PEM paths, SASL) through the transport.
  const transport = new KafkaTransport(codeOptions(cluster))
  const words = ['fox', 'dog', 'fox', 'cat', 'fox', 'dog']
  try {
    const producer = transport.createProducer()
    await producer.send(
      words.map((word) => ({ topic: `${appId}-words`, key: null, value: Buffer.from(JSON.stringify(word)) })),
    )
    await producer.flush()
  } finally {
    await transport.close()
  }
  await a.waitFor(new RegExp(`^counted ${words.length}$`))

  const asker = spawnFixture(cluster, appId, 'asker')
  const asked = JSON.parse((await asker.waitFor(/^asked /)).slice('asked '.length))
  expect(asked).toEqual({ value: 42, pid: a.process.pid })
  await stopChild(asker)

  await stopChild(a)
  const b = spawnFixture(cluster, appId, 'worker')
  await b.waitFor(/^ready$/)
  const expected = { fox: 3, dog: 2, cat: 1 }
  // Recovery finishes at start; ask for the table until it shows every count (each answer is an event).
  let table: Record<string, number> = {}
  const recovered = async () => {
    b.lines.splice(0, b.lines.length)
    b.process.stdin!.write('table\n')
    table = JSON.parse((await b.waitFor(/^table /)).slice('table '.length))
    return JSON.stringify(Object.entries(table).sort()) === JSON.stringify(Object.entries(expected).sort())
  }
  await waitFor(
    recovered,
    60_000,
    () => `the recovered table ${JSON.stringify(expected)}, got ${JSON.stringify(table)}`,
    {
      intervalMs: 200,
    },
  )
  expect(table).toEqual(expected)
  await stopChild(b)
}

/** The secrets of `cluster`: SASL password, every private key and keystore password in its security folder. */
export function secretsOf(cluster: KafkaCluster): string[] {
  const s = cluster.security!
  const secrets: string[] = []
  if (s.password) secrets.push(s.password)
  const dir = join(cluster.dir, 'security')
  for (const key of ['ca.key', 'broker.key', 'client.key', 'other-ca.key']) {
    let text: string
    try {
      text = readFileSync(join(dir, key), 'utf8')
    } catch {
      continue
    }
    // Any line of the key body is enough to count as a leak.
    for (const line of text.split('\n')) if (line.length >= 40 && !line.startsWith('-----')) secrets.push(line)
  }
  const props = readFileSync(join(cluster.dir, 'node-1', 'server.properties'), 'utf8')
  const storePassword = /^ssl\.keystore\.password=(.+)$/m.exec(props)?.[1]
  if (storePassword) secrets.push(storePassword)
  return secrets
}

export function expectNoSecrets(cluster: KafkaCluster): void {
  const secrets = secretsOf(cluster)
  expect(secrets.length).toBeGreaterThan(0)
  const text = seen.join('\n')
  expect(text.length).toBeGreaterThan(1000) // trace logs were really captured
  for (const secret of secrets) expect(text.includes(secret), 'a secret appears in the output').toBe(false)
}

const EOS_PARTITIONS = 3

/**
 * Exactly-once on a secured broker: a worker relays inputs to an output in transactions (its producer, group
 * consumer and transaction coordinator all over the secured listener); it is killed with SIGKILL mid-stream (its
 * open transaction left for the broker to abort) and a second worker takes over. Read with read_committed to the
 * end offsets, every input gives exactly one output.
 */
export async function runExactlyOnce(cluster: KafkaCluster, total = 4_000): Promise<void> {
  const appId = `seos-${randomUUID().slice(0, 8)}`
  const input = `${appId}-eos-in`
  const output = `${appId}-eos-out`
  const transport = new KafkaTransport(codeOptions(cluster))
  try {
    await transport.connect()
    await transport.ensureTopics([
      { name: input, partitions: EOS_PARTITIONS, replicas: 1 },
      { name: output, partitions: EOS_PARTITIONS, replicas: 1 },
    ])
    const producer = transport.createProducer()
    const send = async (from: number, to: number) => {
      const records = []
      for (let i = from; i < to; i++) {
        records.push({ topic: input, key: Buffer.from(`k${i % 37}`), value: Buffer.from(JSON.stringify({ id: i })) })
      }
      await producer.send(records)
      await producer.flush()
    }
    const outputs = Array.from({ length: EOS_PARTITIONS }, (_, partition) => ({ topic: output, partition }))
    const written = async () =>
      (await transport.listOffsets(outputs, { isolationLevel: 'read_uncommitted' })).reduce((n, e) => n + e.latest, 0)

    const first = spawnFixture(cluster, appId, 'eos')
    await first.waitFor(/^ready$/)
    await send(0, total / 2)
    // Killed while relaying: part of the first half written, maybe inside an open transaction.
    await waitFor(async () => (await written()) >= total / 8, 300_000, 'outputs of the first worker', {
      intervalMs: 200,
    }).catch((error: Error) => {
      // What the worker was doing: its last log lines (trace level).
      throw new Error(`${error.message}; its last lines:\n${first.lines.slice(-40).join('\n').slice(-8000)}`)
    })
    first.process.kill('SIGKILL')
    await new Promise((resolve) =>
      first.process.exitCode !== null ? resolve(null) : first.process.once('exit', resolve),
    )

    const second = spawnFixture(cluster, appId, 'eos')
    await second.waitFor(/^ready$/)
    await send(total / 2, total)
    const inputs = Array.from({ length: EOS_PARTITIONS }, (_, partition) => ({ topic: input, partition }))
    const inputEnds = await transport.listOffsets(inputs)
    const group = transport.createConsumer({
      groupId: `${appId}-eos`,
      handler: { onAssigned() {}, onRevoked() {}, onRecords() {} },
    })
    try {
      await waitFor(
        async () => {
          const committed = await group.committed(inputs)
          return inputEnds.every((e) => committed.get(`${e.topic}\u0000${e.partition}`) === e.latest)
        },
        300_000,
        'every input committed',
        { intervalMs: 200 },
      )
    } finally {
      await group.close()
    }
    await stopChild(second)

    const ids = (await readToEnd(transport, partitionsOf(output, EOS_PARTITIONS))).map(
      (r) => (JSON.parse(r.value!.toString()) as { id: number }).id,
    )
    process.stderr.write(
      `exactly-once on ${cluster.security!.mode}: ${total} inputs, ${ids.length} committed outputs, ${new Set(ids).size} distinct\n`,
    )
    expect(new Set(ids).size).toBe(total) // 0 lost
    expect(ids.length).toBe(total) // 0 duplicated
  } finally {
    await transport.close()
  }
}

/**
 * A broker in `mode` of the test file's own (started before its tests, stopped after them) and the two tests every
 * secured broker passes: an agent, a table with changelog and recovery, and ask across two processes; exactly-once
 * with a worker killed mid-stream. `more` adds the mode's own tests, reading the cluster through a getter.
 */
export function describeSecured(mode: SecurityMode, title: string, more: (cluster: () => KafkaCluster) => void): void {
  let cluster: KafkaCluster | undefined
  const current = () => cluster!
  beforeAll(async () => {
    cluster = await startSecured(mode)
  })
  afterAll(async () => {
    killChildren()
    await cluster?.stop()
  })
  describe(title, () => {
    it('runs an agent, a table with changelog and recovery, and ask across two processes', async () => {
      await runScenario(current())
    }, 600_000)
    it('exactly-once: a relaying agent killed with SIGKILL mid-stream, exactly one committed output per input', async () => {
      await runExactlyOnce(current())
    }, 600_000)
    more(current)
  })
}

/**
 * Connects with `options` and creates a topic, under a 5 s connect deadline; returns the typed error. A refusal the
 * transport does not recognise is retried until that deadline and ends as FST_BROKER_UNAVAILABLE, so a typed code
 * proves it arrived within 5 s without timing the test itself (the machine's load must not fail it).
 */
export async function connectFailure(options: KafkaTransportOptions): Promise<{ code: string; message: string }> {
  const transport = new KafkaTransport({ ...options, connectTimeoutMs: 5_000 })
  try {
    await transport.connect()
    await transport.ensureTopics([{ name: `sec-probe-${randomUUID()}`, partitions: 1, replicas: 1 }])
  } catch (error) {
    const e = error as { code: string; message: string }
    seen.push(e.message, String((error as Error).stack))
    return { code: e.code, message: e.message }
  } finally {
    await transport.close()
  }
  throw new Error('connected although it should not have')
}
