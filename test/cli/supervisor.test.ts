// The supervisor of `faustus worker --processes N`, with small Node children standing in for workers: a stop signal
// is forwarded once to every child and a clean stop exits 0; a child dying after it started is restarted with
// backoff, and a crash loop stops everything with exit 1; a child failing before it started stops everything at once.
import { EventEmitter } from 'node:events'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { resolveSettings } from '../../src/app/settings.ts'
import { processCount, superviseWorkers, WORKER_INDEX_ENV } from '../../src/cli/supervisor.ts'
import { createLogger } from '../../src/logging.ts'
import { waitFor } from '../helpers.ts'
import { cli, fixture } from './run-cli.ts'

function capture() {
  const entries: Record<string, unknown>[] = []
  const log = createLogger({
    level: 'info',
    format: 'json',
    destination: { write: (line: string) => entries.push(JSON.parse(line)) },
  })
  return { entries, log, messages: (msg: string) => entries.filter((e) => e.msg === msg) }
}

function supervise(script: string, processes: number, extra: { env?: NodeJS.ProcessEnv } = {}) {
  const signals = new EventEmitter()
  const { entries, log, messages } = capture()
  const result = superviseWorkers({
    processes,
    command: process.execPath,
    args: ['-e', script],
    env: { ...process.env, ...extra.env },
    webPort: 7000,
    log,
    signals,
    maxRestarts: 2,
    maxBackoffMs: 20,
  })
  return { signals, entries, messages, result }
}

describe('worker process supervisor', () => {
  it('forwards a stop signal once to each child (each on its own web port) and exits 0 when all stopped cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'faustus-supervisor-'))
    const script = `
      const { appendFileSync } = require('node:fs')
      const out = require('node:path').join(process.env.OUT_DIR, 'signals')
      process.on('SIGTERM', () => {
        appendFileSync(out, process.env.${WORKER_INDEX_ENV} + ' ' + process.env.FAUSTUS_WEB_PORT + '\\n')
        process.exit(0)
      })
      setInterval(() => {}, 1000)
      process.send({ faustus: 'started' })`
    const run = supervise(script, 2, { env: { OUT_DIR: dir } })
    await waitFor(() => run.messages('worker process started').length === 2, 60_000, 'the condition')
    run.signals.emit('SIGTERM', 'SIGTERM')
    expect(await run.result).toBe(0)
    const lines = readFileSync(join(dir, 'signals'), 'utf8').trim().split('\n').sort()
    expect(lines).toEqual(['0 7000', '1 7001'])
    expect(run.messages('all worker processes stopped')).toEqual([expect.objectContaining({ failed: false })])
  })

  it('restarts a child that dies after starting, with backoff; a crash loop stops everything with exit 1', async () => {
    const run = supervise(`process.send({ faustus: 'started' }); setTimeout(() => process.exit(3), 10)`, 1)
    expect(await run.result).toBe(1)
    expect(run.messages('worker process started')).toHaveLength(3)
    const restarts = run.messages('worker process died: restarting')
    expect(restarts.map((e) => [e.code, e.restartInMs])).toEqual([
      [3, 20],
      [3, 20],
    ])
    expect(run.messages('a worker process keeps crashing: stopping all')).toHaveLength(1)
  })

  it('a child failing before it ever started stops the others at once with exit 1', async () => {
    const script = `
      if (process.env.${WORKER_INDEX_ENV} === '1') process.exit(2)
      process.on('SIGTERM', () => process.exit(0))
      setInterval(() => {}, 1000)
      process.send({ faustus: 'started' })`
    const run = supervise(script, 2)
    expect(await run.result).toBe(1)
    expect(run.messages('a worker process failed while starting: stopping all')).toEqual([
      expect.objectContaining({ worker: 1, code: 2 }),
    ])
    expect(run.messages('worker process died: restarting')).toEqual([])
  })
})

describe('worker process supervisor: a command that cannot run', () => {
  it('is a failed start: exit 1 without restarts', async () => {
    const signals = new EventEmitter()
    const { log, messages } = capture()
    const code = await superviseWorkers({
      processes: 2,
      command: '/nonexistent/faustus-node',
      args: [],
      env: process.env,
      webPort: undefined,
      log,
      signals,
    })
    expect(code).toBe(1)
    expect(messages('worker process died: restarting')).toEqual([])
    expect(messages('cannot start a worker process').length).toBeGreaterThan(0)
  })
})

describe('faustus worker --processes: refusals', () => {
  it.each([
    [['--broker', 'memory://', 'worker', '--processes', '0'], /--processes: expected a number.*got "0"/],
    [['--broker', 'memory://', 'worker', '--processes', '2'], /2 worker processes need a Kafka broker/],
  ])('%j is a usage error', async (args, message) => {
    const run = await cli(['-A', fixture('processes-app.ts'), ...args])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(message)
  })

  it('the workerProcesses setting accepts a count or auto, and refuses 0', () => {
    expect(resolveSettings({}, { FAUSTUS_WORKER_PROCESSES: '3' }).workerProcesses).toBe(3)
    expect(resolveSettings({ workerProcesses: 'auto' }, {}).workerProcesses).toBe('auto')
    expect(processCount('auto')).toBeGreaterThanOrEqual(1)
    expect(() => resolveSettings({ workerProcesses: 0 }, {})).toThrow(
      expect.objectContaining({ code: 'FST_SETTING_INVALID', message: expect.stringContaining('workerProcesses') }),
    )
  })
})
