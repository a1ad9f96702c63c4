import { afterEach, describe, expect, it } from 'vitest'
import { applyManifests, loadManifests, type ManifestError } from '../../src/declarative/index.ts'
import type { FinalResult } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { testApp } from '../helpers.ts'
import { manifestDir } from './helpers.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

const agent = (table: string) => `---
apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: count-${table}
spec:
  input:
    topic:
      name: clicks-${table}
      keySerializer: json
      valueSerializer: json
  processors:
    operations:
      - name: count
        tables:
          - name: ${table}
            paramName: counts
        map:
          javascript: |
            counts.update(value, (n) => n + 1)
            return value
`

const SESSIONS = `apiVersion: faustus.io/v1alpha1
kind: Table
metadata:
  name: sessions
spec:
  default:
    javascript: '0'
  window:
    session: { gap: 5s, grace: 0 }
    merge:
      javascript: earlier + later
    onWindowClose:
      javascript: closed.push([key, window.start, window.end, value])
    finalResults:
      topic: session-finals
      keySerializer: json
      valueSerializer: json
${agent('sessions')}`

const TUMBLING = `apiVersion: faustus.io/v1alpha1
kind: Table
metadata:
  name: minutes
spec:
  default:
    javascript: '0'
  window:
    tumbling: { size: 10s, grace: 2s }
    finalResults: { topic: minute-finals, keySerializer: json, valueSerializer: json }
${agent('minutes')}`

async function started(yaml: string): Promise<TestDriver> {
  const app = testApp('windows-yaml', { topicPartitions: 1 })
  await applyManifests(app, await loadManifests(manifestDir({ 'm.yaml': yaml })))
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

const closed: unknown[] = []
;(globalThis as { closed?: unknown[] }).closed = closed

describe('window options in manifests', () => {
  it('session windows with merge, grace, onWindowClose and finalResults', async () => {
    closed.length = 0
    const driver = await started(SESSIONS)
    const input = driver.app.topics.get('clicks-sessions')!
    for (const at of [1_000, 3_000, 30_000]) await driver.send(input, { key: 'ann', value: 'ann', timestamp: at })
    await driver.idle()
    const finals = driver.records<FinalResult<number>, string>('session-finals')
    expect(finals.map((r) => [r.key, r.value.start, r.value.end, r.value.value])).toEqual([['ann', 1_000, 3_000, 2]])
    expect(closed).toEqual([['ann', 1_000, 3_000, 2]])
  })

  it('tumbling windows with a grace period given as a duration', async () => {
    const driver = await started(TUMBLING)
    const input = driver.app.topics.get('clicks-minutes')!
    for (const at of [1_000, 11_000, 2_000, 12_000, 3_000]) {
      await driver.send(input, { key: 'ann', value: 'ann', timestamp: at })
    }
    await driver.idle()
    const finals = driver.records<FinalResult<number>, string>('minute-finals')
    expect(finals.map((r) => [r.value.start, r.value.value])).toEqual([[0, 2]])
  })

  it('refuses a session window without merge, merge without sessions, finalResults without grace', async () => {
    const invalid = `apiVersion: faustus.io/v1alpha1
kind: Table
metadata:
  name: t1
spec:
  window:
    session: { gap: 5s }
---
apiVersion: faustus.io/v1alpha1
kind: Table
metadata:
  name: t2
spec:
  window:
    tumbling: { size: 5s }
    merge: { javascript: a }
    finalResults: { topic: out }
`
    const error = await loadManifests(manifestDir({ 'm.yaml': invalid })).then(
      () => undefined,
      (e: ManifestError) => e,
    )
    expect(error?.code).toBe('FST_MANIFEST_INVALID')
    const messages = error!.issues.map((issue) => issue.message).join('\n')
    expect(messages).toMatch(/session windows need merge/)
    expect(messages).toMatch(/merge is for session windows/)
    expect(messages).toMatch(/finalResults needs tumbling.grace/)
  })
})
