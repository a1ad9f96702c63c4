// The faustus process on a real broker: a stop signal sent by pid stops the worker gracefully and commits what it
// processed; `faustus reset --yes` then makes a restarted worker reprocess from the beginning, its LMDB state gone.
import { randomUUID } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { type FaustusProcess, startFaustus } from '../cli/process.ts'

const FIXTURE = 'test/cli/fixtures/reset-app.ts'
const KEYS = ['a', 'b', 'c', 'd', 'e', 'f']
const running: FaustusProcess[] = []
const stores: string[] = []

afterAll(() => {
  for (const worker of running) if (worker.child.exitCode === null) worker.child.kill('SIGKILL')
  for (const dir of stores) rmSync(dir, { recursive: true, force: true })
})

function setup(name: string) {
  const id = `${name}-${randomUUID().slice(0, 8)}`
  const store = mkdtempSync(join(tmpdir(), 'faustus-reset-'))
  stores.push(store)
  const broker = `kafka://${inject('kafkaBootstrap')}`
  const env = { FAUSTUS_TEST_RESET_ID: id, FAUSTUS_TEST_RESET_DIR: store }
  const faustus = (args: string[]) => {
    const proc = startFaustus(['-A', FIXTURE, '--broker', broker, '--log-format', 'json', ...args], env)
    running.push(proc)
    return proc
  }
  return { id, store, broker, faustus, topic: `${id}-in` }
}

async function produce(broker: string, topic: string, keys: string[]): Promise<void> {
  const transport = new KafkaTransport({ url: broker })
  await transport.connect()
  try {
    await transport.ensureTopics([{ name: topic, partitions: 2, replicas: 1 }])
    const producer = transport.createProducer()
    await producer.send(keys.map((key) => ({ topic, key: Buffer.from(JSON.stringify(key)), value: Buffer.from('1') })))
    await producer.close()
  } finally {
    await transport.close()
  }
}

async function committed(broker: string, groupId: string, topic: string): Promise<number> {
  const transport = new KafkaTransport({ url: broker })
  await transport.connect()
  try {
    const consumer = transport.createConsumer({
      groupId,
      topics: [topic],
      handler: { onAssigned() {}, onRevoked() {}, onRecords() {} },
    })
    const offsets = await consumer.committed([0, 1].map((partition) => ({ topic, partition })))
    return [...offsets.values()].reduce((sum, offset) => sum + offset, 0)
  } finally {
    await transport.close()
  }
}

/** Runs a worker until it has printed `count` processed events, then stops it with `signal` by pid. */
async function workerRun(faustus: (args: string[]) => FaustusProcess, count: number, signal: NodeJS.Signals) {
  const worker = faustus(['worker', '-l', 'info'])
  await worker.waitFor('"msg":"app started"')
  return {
    worker,
    async stop() {
      await worker.waitFor(`count=`)
      while (
        worker
          .stdout()
          .split('\n')
          .filter((line) => line.startsWith('processed')).length < count
      ) {
        await new Promise<void>((resolve) => worker.child.stdout!.once('data', () => resolve()))
      }
      process.kill(worker.child.pid!, signal)
      expect(await worker.exited).toBe(0)
      return worker
        .stdout()
        .split('\n')
        .filter((line) => line.startsWith('processed'))
    },
  }
}

describe('faustus on Kafka: signals by pid and reset', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} by pid: the worker stops gracefully and commits what it processed`, async () => {
      const { id, broker, faustus, topic } = setup(`sig-${signal.toLowerCase()}`)
      await produce(broker, topic, KEYS)
      // Commits only happen at the graceful stop: the fixture's interval and count are far away.
      const run = await workerRun(faustus, KEYS.length, signal)
      const processed = await run.stop()
      expect(processed).toHaveLength(KEYS.length)
      expect(run.worker.stderr()).toContain(`"signal":"${signal}"`)
      expect(await committed(broker, id, topic)).toBe(KEYS.length)
    })
  }

  it('reset --yes: a restarted worker reprocesses from the beginning with empty tables; the LMDB dir is gone', async () => {
    const { id, store, broker, faustus, topic } = setup('reset')
    await produce(broker, topic, KEYS)
    const first = await workerRun(faustus, KEYS.length, 'SIGTERM')
    expect(await first.stop()).toHaveLength(KEYS.length)
    expect(existsSync(join(store, id))).toBe(true)
    expect(await committed(broker, id, topic)).toBe(KEYS.length)

    const refused = faustus(['reset'])
    expect(await refused.exited).toBe(2)
    expect(refused.stderr()).toContain('--yes')
    expect(existsSync(join(store, id))).toBe(true)

    const reset = faustus(['reset', '--yes'])
    expect(await reset.exited).toBe(0)
    const result = JSON.parse(reset.stdout())
    expect(result.deletedTopics).toContain(`${id}-counts-changelog`)
    expect(result.offsetTopics).toContain(topic)
    expect(existsSync(join(store, id))).toBe(false)
    expect(await committed(broker, id, topic)).toBe(0)

    const second = await workerRun(faustus, KEYS.length, 'SIGTERM')
    const again = await second.stop()
    expect(again).toHaveLength(KEYS.length)
    // Each key counted once: no old state came back from the store or the changelog.
    for (const line of again) expect(line).toMatch(/count=1$/)
  })
})
