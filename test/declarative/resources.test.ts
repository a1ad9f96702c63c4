import { describe, expect, it } from 'vitest'
import { loadManifests, webViews } from '../../src/declarative/index.ts'
import type { Table } from '../../src/tables/table.ts'
import type { WindowedTable } from '../../src/tables/windowed.ts'
import { stopAfterEach, testApp, waitFor } from '../helpers.ts'
import { apply, collector, manifestDir, memoryBroker, quiet } from './helpers.ts'

const running = stopAfterEach()

describe('Table resources', () => {
  it('plain, global and windowed tables with their options and default code', async () => {
    const app = testApp('tables')
    const applied = await apply(
      app,
      `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: counts
spec:
  partitions: 4
  standbys: 0
  default:
    javascript: '0'
  extraTopicConfigs:
    retention.ms: 604800000
---
apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: profiles-resource
spec:
  name: profiles
  global: true
  defaultSelector:
    javascript: "() => ({ visits: 0 })"
---
apiVersion: faustus.io/v1alpha1
kind: Table
metadata:
  name: views-per-minute
spec:
  default:
    javascript: '0'
  window:
    tumbling:
      size: 1m
      expires: 1h
    relativeTo: now
`,
    )
    expect(applied.tables).toEqual(['counts', 'profiles', 'views-per-minute'])
    const counts = app.tables.get('counts') as unknown as Table<string, number>
    expect(counts.partitions).toBe(4)
    expect(counts.get('nobody')).toBe(0)
    expect(app.topics.get(counts.changelogTopic)!.options.config).toMatchObject({ 'retention.ms': '604800000' })
    const profiles = app.tables.get('profiles') as unknown as Table<string, unknown>
    expect(profiles.global).toBe(true)
    expect(profiles.get('x')).toEqual({ visits: 0 })
    const views = app.tables.get('views-per-minute') as unknown as Table
    expect(views.window).toMatchObject({ kind: 'tumbling', size: 60_000, expires: 3_600_000 })
  })

  it('operations read and write tables: by paramName and through `tables`, windowed ones as their view', async () => {
    const app = testApp('table-ops')
    app.table('code-table', { default: () => 'from code' })
    await apply(
      app,
      `apiVersion: faustus.io/v1alpha1
kind: Table
metadata:
  name: hits
spec:
  default:
    javascript: '0'
  window:
    tumbling: { size: 1h }
    relativeTo: now
---
apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: counter
spec:
  input:
    channel:
      name: pages
  processors:
    operations:
      - name: count
        tables:
          - name: hits
            paramName: hits
        map:
          javascript: |
            const before = hits.get(value).now()
            return { before, windowed: typeof hits.relativeToNow, code: tables['code-table'].get('k') }
`,
    )
    running.push(app)
    await app.start()
    const reply = await app.agents.get('counter')!.ask('home', { timeout: 2000 })
    expect(reply).toEqual({ before: 0, windowed: 'function', code: 'from code' })
    expect((app.tables.get('hits') as unknown as Table).window).toBeDefined()
    const view = app.tables.get('hits') as unknown
    expect(view as WindowedTable).toBeDefined()
  })
})

describe('Task resources', () => {
  it('an interval task on the leader sends what its pipeline makes', async () => {
    const broker = memoryBroker()
    const app = testApp('ticker', { ...quiet, broker })
    await apply(
      app,
      `apiVersion: kaspr.io/v1alpha1
kind: KasprTask
metadata:
  name: heartbeat
spec:
  onLeader: true
  schedule:
    interval: 20ms
  processors:
    init:
      javascript: let beats = 0
    operations:
      - name: beat
        map:
          javascript: "({ beat: ++beats, app: context.app.id })"
      - name: odd-only
        filter:
          javascript: value.beat % 2 === 1
      - name: send
        topicSend:
          name: heartbeats
          keySelector:
            javascript: "'hb'"
`,
    )
    expect(app.jobs).toMatchObject([{ name: 'heartbeat', schedule: { intervalMs: 20 }, options: { onLeader: true } }])
    const client = collector(broker, ['heartbeats'])
    running.push(app, client.app)
    await app.start()
    await client.app.start()
    await waitFor(() => client.received.heartbeats.length >= 2, 3000, 'heartbeats')
    expect(client.received.heartbeats.slice(0, 2)).toMatchObject([
      { key: 'hb', value: { beat: 1, app: app.id } },
      { key: 'hb', value: { beat: 3, app: app.id } },
    ])
  })

  it('cron and one-shot tasks', async () => {
    const app = testApp('crons')
    await apply(
      app,
      `apiVersion: faustus.io/v1alpha1
kind: Task
metadata:
  name: nightly
spec:
  schedule:
    cron: '0 3 * * *'
    timezone: Europe/Paris
  processors:
    operations:
      - name: noop
        map:
          javascript: value
---
apiVersion: faustus.io/v1alpha1
kind: Task
metadata:
  name: at-start
spec:
  processors:
    operations:
      - name: mark
        map:
          javascript: context.state.ran = true
`,
    )
    expect(app.jobs).toMatchObject([{ name: 'nightly', schedule: { cron: '0 3 * * *', timezone: 'Europe/Paris' } }])
    expect(app.tasks.map((task) => task.name)).toEqual(['at-start'])
  })

  it('a bad cron expression and onLeader without a schedule are manifest errors', async () => {
    const dir = manifestDir({
      'm.yaml': `apiVersion: faustus.io/v1alpha1
kind: Task
metadata:
  name: broken
spec:
  onLeader: true
  processors:
    operations: []
---
apiVersion: faustus.io/v1alpha1
kind: Task
metadata:
  name: bad-cron
spec:
  schedule:
    cron: '61 * * * *'
  processors: {}
`,
    })
    await expect(loadManifests(dir)).rejects.toThrow(
      /m\.yaml:6:13: Task "broken" spec\.onLeader: onLeader needs a schedule[\s\S]*m\.yaml:16:11: Task "bad-cron" spec\.schedule\.cron: not a valid cron expression/,
    )
  })
})

describe('WebView resources', () => {
  it('handles a request with its pipeline and response selectors', async () => {
    const app = testApp('web')
    await apply(
      app,
      `apiVersion: kaspr.io/v1alpha1
kind: KasprWebView
metadata:
  name: quote
spec:
  request:
    method: POST
    path: /quote
  response:
    statusCode: 201
    headers:
      x-service: quotes
    bodySelector:
      onSuccess:
        javascript: "({ total: value })"
      onError:
        javascript: "({ problem: error.message })"
    statusCodeSelector:
      onError:
        javascript: '422'
  processors:
    operations:
      - name: validate
        map:
          javascript: |
            if (!(value.qty > 0)) throw new Error('qty must be positive')
            return value
      - name: price
        map:
          javascript: value.qty * 2.5
`,
    )
    const [view] = webViews(app)
    expect(view).toMatchObject({ name: 'quote', method: 'POST', path: '/quote' })
    const ok = await view.handle({ method: 'POST', path: '/quote', body: { qty: 4 } })
    expect(ok).toEqual({
      statusCode: 201,
      headers: { 'content-type': 'application/json', 'x-service': 'quotes' },
      body: '{"total":10}',
    })
    const bad = await view.handle({ method: 'POST', path: '/quote', body: { qty: 0 } })
    expect(bad.statusCode).toBe(422)
    // onError gets what the code raised, not Faustus's wrapper naming the manifest (never sent to a client).
    expect(JSON.parse(bad.body as string).problem).toBe('qty must be positive')
  })
})
