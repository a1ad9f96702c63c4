// `kill -<SIGNAL> <pid of faustus>` stops a worker gracefully, whether the bin runs the CLI itself or reruns Node
// (FAUSTUS_REEXEC=1 takes the rerun path): the signal must reach the worker once, not be swallowed.
import { afterAll, describe, expect, it } from 'vitest'
import { killStarted, startFaustus } from './process.ts'

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const

afterAll(killStarted)

describe('signals sent by pid to the faustus process', () => {
  for (const reexec of [false, true]) {
    for (const signal of SIGNALS) {
      it(`${signal} stops the worker gracefully${reexec ? ' through the rerun wrapper' : ''}`, {
        timeout: 120_000,
      }, async () => {
        const worker = startFaustus(
          ['-A', 'examples/agent.ts', 'worker', '-l', 'info', '--log-format', 'json'],
          reexec ? { FAUSTUS_REEXEC: '1' } : { FAUSTUS_REEXEC: '0' },
        )
        await worker.waitFor('"msg":"app started"')
        process.kill(worker.child.pid!, signal)
        expect(await worker.exited).toBe(0)
        expect(worker.stderr()).toContain(`"signal":"${signal}"`)
        expect(worker.stderr()).toContain('"msg":"app stopped"')
        expect(worker.stderr()).not.toContain('again, exiting without a graceful stop')
      })
    }
  }

  it('a rerun worker whose wrapper is killed outright stops gracefully instead of running on', {
    timeout: 120_000,
  }, async () => {
    const worker = startFaustus(['-A', 'examples/agent.ts', 'worker', '-l', 'info', '--log-format', 'json'], {
      FAUSTUS_REEXEC: '1',
    })
    await worker.waitFor('"msg":"app started"')
    const started = worker
      .stderr()
      .split('\n')
      .find((line) => line.includes('"msg":"app started"'))!
    const childPid = JSON.parse(started).pid as number
    expect(childPid).not.toBe(worker.child.pid)
    worker.child.kill('SIGKILL')
    // The rerun process still writes to our pipes (they close only when it exits): it says it stopped.
    await worker.waitFor('"msg":"app stopped"')
    expect(worker.stderr()).toContain('"msg":"app stopped"')
  })
})
