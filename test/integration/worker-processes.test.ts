// `faustus worker --processes 2` on a real broker: two worker processes in one consumer group, both get partitions
// and together process every record; one is killed with SIGKILL and the supervisor restarts it; each serves its web
// surface on its own port (webPort + i) and keeps its own LMDB environment; SIGTERM to the supervisor stops both
// cleanly (exit 0).
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { killStarted, startFaustus } from '../cli/process.ts'
import { waitFor } from '../helpers.ts'

const FIXTURE = 'test/cli/fixtures/processes-app.ts'

const stores: string[] = []

afterAll(() => {
  killStarted()
  for (const dir of stores) rmSync(dir, { recursive: true, force: true })
})

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** The supervisor's JSON log lines with `msg`. */
function logged(stderr: string, msg: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.msg === msg)
}

describe('faustus worker --processes', () => {
  it('runs 2 processes in one group, restarts one killed with SIGKILL, stops both on SIGTERM', async () => {
    const id = `procs-${randomUUID().slice(0, 8)}`
    const broker = `kafka://${inject('kafkaBootstrap')}`
    const topic = `${id}-in`
    const webPort = 20_000 + Math.floor(Math.random() * 20_000)
    const store = mkdtempSync(join(tmpdir(), 'faustus-processes-'))
    stores.push(store)
    const supervisor = startFaustus(
      ['-A', FIXTURE, '--broker', broker, '--log-format', 'json', 'worker', '--processes', '2'],
      {
        FAUSTUS_TEST_PROCESSES_ID: id,
        FAUSTUS_TEST_PROCESSES_STORE: store,
        FAUSTUS_WEB_PORT: String(webPort),
        FAUSTUS_LOG_LEVEL: 'info',
      },
    )
    const started = () => logged(supervisor.stderr(), 'worker process started')
    await waitFor(() => started().length >= 2, 300_000, 'both worker processes started', { intervalMs: 100 })
    const pids = started().map((entry) => entry.pid as number)
    expect(new Set(started().map((entry) => entry.worker))).toEqual(new Set([0, 1]))

    // Each child serves its own web surface: webPort + its index.
    for (const [index, port] of [webPort, webPort + 1].entries()) {
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { pid: number }
      expect(health.pid).toBe(pids[started().findIndex((entry) => entry.worker === index)])
    }

    const transport = new KafkaTransport({ url: broker })
    await transport.connect()
    const producer = transport.createProducer()
    let sent = 0
    const send = async (count: number) => {
      const records = []
      for (let i = sent; i < sent + count; i++) {
        records.push({ topic, key: Buffer.from(`key-${i}`), value: Buffer.from(JSON.stringify({ n: i })) })
      }
      sent += count
      await producer.send(records)
      await producer.flush()
    }
    const processed = () => {
      const byPid = new Map<number, Set<number>>()
      for (const match of supervisor.stdout().matchAll(/^processed (\d+) pid=(\d+)$/gm)) {
        const pid = Number(match[2])
        if (!byPid.has(pid)) byPid.set(pid, new Set())
        byPid.get(pid)!.add(Number(match[1]))
      }
      return byPid
    }
    const allProcessed = () => {
      const seen = new Set([...processed().values()].flatMap((set) => [...set]))
      return seen.size === sent
    }
    try {
      await transport.ensureTopics([{ name: topic, partitions: 4, replicas: 1 }])
      // Until both processes have partitions (the second may join after the first took them all).
      for (let batch = 0; batch < 30 && !pids.every((pid) => processed().has(pid)); batch++) {
        await send(100)
        await waitFor(allProcessed, 300_000, 'the batch processed', { intervalMs: 100 })
      }
      expect(pids.every((pid) => processed().has(pid))).toBe(true)
      expect(allProcessed()).toBe(true)

      // kill -9 one child: the supervisor logs it and starts it again.
      const victim = pids[1]
      const victimIndex = started().find((entry) => entry.pid === victim)!.worker
      process.kill(victim, 'SIGKILL')
      await waitFor(() => started().length >= 3, 300_000, 'the killed process restarted', { intervalMs: 100 })
      const died = logged(supervisor.stderr(), 'worker process died: restarting')
      expect(died).toEqual([expect.objectContaining({ worker: victimIndex, pid: victim, signal: 'SIGKILL' })])
      const replacement = started()[2]
      expect(replacement.worker).toBe(victimIndex)
      expect(replacement.pid).not.toBe(victim)

      await send(200)
      await waitFor(allProcessed, 300_000, 'every record processed after the restart', { intervalMs: 100 })
    } finally {
      await producer.close()
      await transport.close()
    }

    const children = started().map((entry) => entry.pid as number)
    supervisor.child.kill('SIGTERM')
    expect(await supervisor.exited).toBe(0)
    expect(logged(supervisor.stderr(), 'all worker processes stopped')).toEqual([
      expect.objectContaining({ failed: false }),
    ])
    for (const pid of children) expect(isAlive(pid)).toBe(false)
    // Each process had an LMDB environment of its own.
    expect(readdirSync(join(store, id)).sort()).toEqual(['worker-0', 'worker-1'])
    expect(supervisor.stderr()).not.toMatch(/"level":50/)
  }, 600_000)
})
