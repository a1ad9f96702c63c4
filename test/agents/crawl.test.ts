/**
 * Issue 11, point 10: an agent that fails on every event never silently crawls. Under `ack` it goes on at full
 * speed (no restart backoff per event: asserted on the supervisor's counters, not on time) with rate-limited error
 * logs; with `maxRestarts` its supervisor stops it with an error naming the limit.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { App, Logger, Stream } from '../../src/index.ts'
import { testApp, waitFor } from '../helpers.ts'

let app: App | undefined
afterEach(async () => {
  await app?.stop()
  app = undefined
})

/** A logger keeping every line (level, message, fields). */
function recordingLogger(lines: { level: string; msg: string; fields: Record<string, unknown> }[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (obj: object | string, msg?: string): void => {
        if (typeof obj === 'string') lines.push({ level, msg: obj, fields: bindings })
        else lines.push({ level, msg: msg ?? '', fields: { ...bindings, ...obj } })
      }
    return {
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      child: (more) => make({ ...bindings, ...more }),
    }
  }
  return make({})
}

describe('an agent failing on every event', () => {
  it("under 'ack' processes every event without backoff, logging a bounded number of lines", async () => {
    const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = []
    app = testApp(undefined, { logger: recordingLogger(lines) })
    let calls = 0
    const agent = app.agent(async function broken(stream: Stream<number>) {
      for await (const _ of stream) {
        calls++
        throw new Error('always')
      }
    })
    await app.start()
    const EVENTS = 200
    for (let i = 0; i < EVENTS; i++) await agent.cast(i, { partition: 0 })
    await waitFor(() => calls === EVENTS, 30_000, 'every event handled')
    await waitFor(() => app!.stats().eventsInFlight === 0, 10_000, 'every event acked')
    // Every failure restarted the function at once: no backoff, so no crawl.
    expect(agent.supervisorStats).toMatchObject({ failures: EVENTS, restarts: EVENTS, backoffs: 0, backoffMs: 0 })
    // Error lines: the first burst, not one per event (the summary comes at the end of the window or on stop).
    const errors = lines.filter((l) => l.level === 'error' && l.fields.agent === 'broken')
    expect(errors.length).toBeLessThanOrEqual(10)
    expect(errors[0].msg).toBe('agent raised: event acked and skipped')
    await app.stop()
    const summary = lines.filter((l) => l.level === 'error' && typeof l.fields.suppressed === 'number')
    expect(summary).toHaveLength(1)
    expect(summary[0].fields.suppressed).toBe(EVENTS - errors.length)
    expect(summary[0].msg).toMatch(/more errors like this one were not logged/)
  }, 60_000)

  it('still backs off when the function fails without handling an event (it would spin otherwise)', async () => {
    app = testApp()
    let starts = 0
    const agent = app.agent(
      async function failsAtStart(stream: Stream<number>) {
        starts++
        if (starts <= 3) throw new Error('not ready')
        for await (const _ of stream) {
          // runs until the app stops
        }
      },
      { supervisor: { initialBackoffMs: 1, maxBackoffMs: 4 } },
    )
    await app.start()
    await waitFor(() => starts === 4)
    expect(agent.supervisorStats.failures).toBe(3)
    expect(agent.supervisorStats.backoffs).toBe(3)
  })

  it('with maxRestarts, the supervisor stops it with an error naming the limit', async () => {
    app = testApp()
    const agent = app.agent(
      async function flaky(stream: Stream<number>) {
        for await (const _ of stream) throw new Error('again')
      },
      { supervisor: { maxRestarts: 5, windowMs: 60_000 } },
    )
    await app.start()
    for (let i = 0; i < 10; i++) await agent.cast(i, { partition: 0 })
    const error = await app.done.then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    )
    expect(error?.code).toBe('FST_AGENT_CRASHED')
    expect(error?.message).toMatch(
      /agent "flaky" crashed: more than 5 restarts within 60000 ms \(supervisor maxRestarts\/windowMs\); last error: again/,
    )
    expect(agent.supervisorStats).toMatchObject({ failures: 6, restarts: 5, backoffs: 0 })
  })
})
