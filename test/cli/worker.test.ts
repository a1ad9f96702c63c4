import { EventEmitter } from 'node:events'
import { describe, expect, it } from 'vitest'
import { main } from '../../src/cli/main.ts'
import { waitFor } from '../helpers.ts'
import { cli, fixture, ROOT } from './run-cli.ts'

const marks = globalThis as { cliWorkerStarted?: number }

function started(before: number): Promise<boolean> {
  return waitFor(() => (marks.cliWorkerStarted ?? 0) > before, 10_000, 'the worker to start')
}

describe('faustus worker', () => {
  it('runs until SIGTERM, then stops gracefully with exit 0', async () => {
    const signals = new EventEmitter()
    const before = marks.cliWorkerStarted ?? 0
    const running = cli(['-A', fixture('worker-app.ts'), 'worker'], signals)
    await started(before)
    expect(signals.listenerCount('SIGTERM')).toBe(1)
    signals.emit('SIGTERM', 'SIGTERM')
    const run = await running
    expect(run).toMatchObject({ code: 0, stdout: '' })
    expect(signals.listenerCount('SIGTERM')).toBe(0)
    expect(signals.listenerCount('SIGINT')).toBe(0)
  })

  it('exits 1 with the crash error when an agent crashes the app', async () => {
    const run = await cli(['-A', fixture('crash-app.ts'), 'worker'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('error [FST_AGENT_CRASHED]')
    expect(run.stderr).toContain('asked to crash')
  })

  it('exits at once on a second signal', async () => {
    const signals = new EventEmitter()
    const exits: number[] = []
    let stderr = ''
    const before = marks.cliWorkerStarted ?? 0
    const running = main(['node', 'faustus', '-A', fixture('worker-app.ts'), 'worker'], {
      stdout: () => {},
      stderr: (text) => {
        stderr += text
      },
      exit: (code) => {
        exits.push(code)
      },
      cwd: ROOT,
      signals: signals as never,
    })
    await started(before)
    signals.emit('SIGINT', 'SIGINT')
    signals.emit('SIGINT', 'SIGINT')
    expect(exits).toEqual([130])
    expect(stderr).toContain('SIGINT again')
    expect(await running).toBe(0)
  })
})
