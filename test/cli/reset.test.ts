// `faustus reset` on the memory transport: offsets, changelogs and local state go; a new worker starts over.
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { resetApp } from '../../src/cli/reset.ts'
import { App, isFaustusError, type Stream } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { killStarted } from './process.ts'
import { cli, fixture } from './run-cli.ts'

/** One "process" of the app: a new App instance on the shared in-memory broker, as a restarted worker is. */
function counterApp(broker: string) {
  const app = new App('reset-memory', { broker, logLevel: 'silent', topicPartitions: 2 })
  const input = app.topic('reset-memory-in', { keyType: 'json', valueType: 'json' })
  const counts = app.table<string, number>('counts', { default: () => 0, keyType: 'json' })
  const seen: string[] = []
  app.agent(input, async function count(stream: Stream<number>) {
    for await (const [key] of stream.items()) {
      counts.update(key as string, (n) => n + 1)
      seen.push(key as string)
    }
  })
  return { app, input, counts, seen }
}

afterAll(killStarted)

const KEYS = ['a', 'b', 'c', 'd', 'e']

describe('faustus reset (memory transport)', () => {
  it('refuses without --yes, saying what it would delete', async () => {
    const result = await cli(['-A', fixture('main-app.ts'), 'reset'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('consumer group "main-app"')
    expect(result.stderr).toContain('--yes')
  })

  it('a worker started after reset reprocesses from the beginning, with empty tables', async () => {
    const broker = `memory://reset-${randomUUID()}`
    const first = counterApp(broker)
    await first.app.start()
    try {
      for (const key of KEYS) await first.input.send({ key, value: 1 })
      await waitFor(() => first.seen.length === KEYS.length, 10_000, 'the first run')
    } finally {
      await first.app.stop()
    }

    // While a worker runs, reset is refused and deletes nothing.
    const running = counterApp(broker)
    await running.app.start()
    try {
      await expect(resetApp(counterApp(broker).app, { yes: true })).rejects.toSatisfy((error) =>
        isFaustusError(error, 'FST_GROUP_ACTIVE'),
      )
    } finally {
      await running.app.stop()
    }

    const result = await resetApp(counterApp(broker).app, { yes: true })
    expect(result.offsetTopics).toContain('reset-memory-in')
    expect(result.deletedTopics).toEqual(['reset-memory-counts-changelog'])

    const after = counterApp(broker)
    await after.app.start()
    try {
      await waitFor(() => after.seen.length === KEYS.length, 10_000, 'the reprocessing after reset')
      // Counted once each: the old changelog did not restore the first run's counts.
      expect(Object.fromEntries(after.counts.entries())).toEqual(Object.fromEntries(KEYS.map((k) => [k, 1])))
    } finally {
      await after.app.stop()
    }
  })
})

describe("app.main() (Faust's entry point)", () => {
  it('runs the CLI for the app of a script: node app.ts <command>', { timeout: 120_000 }, async () => {
    const { execFile } = await import('node:child_process')
    const { promisify } = await import('node:util')
    const { NODE } = await import('./process.ts')
    const run = (args: string[]) =>
      promisify(execFile)(NODE, ['--import', 'tsx', 'test/cli/fixtures/main-app.ts', ...args], { timeout: 60_000 })
    expect((await run(['double', '21'])).stdout).toBe('42\n')
    expect((await run(['agents', '--json'])).stdout).toContain('"name": "doubler"')
  })

  it('runs a worker until a signal', { timeout: 120_000 }, async () => {
    const { startFaustus } = await import('./process.ts')
    const worker = startFaustus(['-l', 'info', '--log-format', 'json', 'worker'], {}, [
      '--import',
      'tsx',
      'test/cli/fixtures/main-app.ts',
    ])
    await worker.waitFor('"msg":"app started"')
    process.kill(worker.child.pid!, 'SIGINT')
    expect(await worker.exited).toBe(0)
  })
})
