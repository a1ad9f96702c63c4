import { randomUUID } from 'node:crypto'
import { expect, it } from 'vitest'
import { CLICKS, START, sessionsApp, type Total } from '../../examples/sessions.ts'
import { TestDriver } from '../../src/testing/index.ts'

const MINUTE = 60_000

it('sessions under the test driver: one total per closed session, the late click dropped', async () => {
  const { app, clicks, perSession } = sessionsApp({ broker: `memory://sessions-${randomUUID()}`, logLevel: 'silent' })
  const driver = await new TestDriver(app, { startTime: START }).start()
  try {
    for (const [user, at] of CLICKS) await driver.send(clicks, { key: user, value: user, timestamp: at })
    await driver.idle()
    const totals = driver.records<Total, string>('session_totals').map((r) => [r.key, r.value])
    const at = (minutes: number) => START + minutes * MINUTE
    expect(totals.sort()).toEqual(
      [
        ['ann', { start: at(0), end: at(3), value: 2 }],
        ['ann', { start: at(20), end: at(20), value: 1 }],
        ['bob', { start: at(1), end: at(1), value: 1 }],
        ['bob', { start: at(20), end: at(20), value: 1 }],
      ].sort(),
    )
    expect(perSession.lateDropped).toBe(1)
    // The sessions still open: ann's and bob's at 12:40.
    expect([...perSession.keys(at(41))].sort()).toEqual(['ann', 'bob'])
  } finally {
    await driver.stop()
  }
})
