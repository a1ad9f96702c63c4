// What a started app shows of itself (docs/runtime.md, "The app at run time"), and that tests read nothing else.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isFaustusError, type Stream } from '../../src/index.ts'
import { brokerOf, stopAfterEach, testApp, waitFor } from '../helpers.ts'

const apps = stopAfterEach()

function relay() {
  const app = testApp()
  apps.push(app)
  const source = app.topic('rt-in', { partitions: 1, valueType: 'json' })
  const release: (() => void)[] = []
  const seen: number[] = []
  const agent = app.agent(source, async function* held(stream: Stream<number>) {
    for await (const value of stream) {
      if (value < 0) await new Promise<void>((resolve) => release.push(resolve))
      seen.push(value)
      yield value
    }
  })
  return { app, source, agent, release, seen }
}

describe('the app at run time', () => {
  it('state, stats and commit follow the app through its life', async () => {
    const { app, source, release, seen } = relay()
    expect(app.state).toBe('idle')
    expect(app.stats()).toMatchObject({ eventsReceived: 0, eventsInFlight: 0, asksWaiting: 0, connected: false })
    const refused = await app.commit().catch((e: unknown) => e)
    expect(isFaustusError(refused, 'FST_APP_NOT_STARTED')).toBe(true)

    await app.start()
    expect(app.state).toBe('running')
    expect(app.stats().connected).toBe(true)
    expect(app.isLeader).toBe(true)
    expect(app.webUrl).toBe('')
    await source.send({ value: 1 })
    await source.send({ value: -1 })
    // The second event is held by the agent: received, in flight, not committed.
    await waitFor(() => release.length === 1, 5000, 'the agent to hold -1')
    expect(app.stats()).toMatchObject({ eventsReceived: 2, eventsInFlight: 1 })
    await app.commit()
    expect(brokerOf(app).group(app.groupId).committed({ topic: 'rt-in', partition: 0 })).toBe(1)
    release[0]()
    await waitFor(() => app.stats().eventsInFlight === 0, 5000, 'the held event acked')
    await app.commit()
    expect(brokerOf(app).group(app.groupId).committed({ topic: 'rt-in', partition: 0 })).toBe(2)
    expect(seen).toEqual([1, -1])

    await app.stop()
    expect(app.state).toBe('idle')
    expect(app.stats().connected).toBe(false)
  })

  it('counts asks waiting for their reply', async () => {
    const { app, agent, release } = relay()
    await app.start()
    const asking = agent.ask(-2)
    await waitFor(() => app.stats().asksWaiting === 1, 5000, 'the ask to wait')
    release[0]()
    expect(await asking).toBe(-2)
    expect(app.stats().asksWaiting).toBe(0)
  })

  it('lastRecovery is a copy: a caller cannot change what the app reports', async () => {
    const { app } = relay()
    app.lastRecovery.records = 99
    expect(app.lastRecovery).toEqual({ records: 0, durationMs: 0 })
  })
})

/** Every .ts file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
}

describe("the project's tests", () => {
  it("read no app's internals: no `.services`, no `appServices()`", () => {
    const offenders = sources('test').filter((file) => /\.services\b|\bappServices\b/.test(readFileSync(file, 'utf8')))
    // This file names them, and test/types/app.typecheck.ts checks that `app.services` does not type-check.
    const exempt = ['run-time.test.ts', 'app.typecheck.ts']
    expect(offenders.filter((file) => !exempt.some((name) => file.endsWith(name)))).toEqual([])
  })
})
