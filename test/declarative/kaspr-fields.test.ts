/** Issue 14 (Kaspr compatibility): Kaspr's CRD fields, Kaspr's semantics, warnings, the compatibility page. */
import { describe, expect, it } from 'vitest'
import { createAppFromManifests, loadManifests } from '../../src/declarative/index.ts'
import { brokerOf, stopAfterEach, testApp, waitFor } from '../helpers.ts'
import { apply, manifestDir, memoryBroker, quiet, started } from './helpers.ts'

const running = stopAfterEach()

describe("Kaspr's CRD fields (point 3)", () => {
  it('are accepted: implemented, or reported as not applied; a misspelt field keeps its "did you mean" error', async () => {
    const dir = manifestDir({
      'app.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprApp
metadata:
  name: crd-app
spec:
  replicas: 2
  bootstrapServers: localhost:9092
  config:
    topic_partitions: 3
    topic_replication_factor: 1
    broker_commit_interval: 1.5
    auto.offset.reset: latest
    scheduler_enabled: true
`,
      'table.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: latest-by-window
spec:
  name: latest-by-window
  options:
    changelog_topic: latest-changelog
    on_window_close: notify
  window:
    tumbling: { size: 1m }
    relativeTo: custom
    relativeToSelector:
      javascript: value.at
`,
      'agent.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: router
spec:
  isolatedPartitions: true
  config:
    auto.offset.reset: earliest
  input:
    declare: false
    take: { max: 10, within: 1s }
    topic:
      name: requests
      retention: 3600
  output:
    topics:
      - nameSelector:
          javascript: "'out-' + value.kind"
        declare: true
        partitions: 2
        replicas: 1
        retention: 1d
        compacting: true
        deleting: true
        config: { max.message.bytes: 1048576 }
  processors:
    operations:
      - name: copy
        topicSend:
          name: copies
          passThrough: true
      - name: mark
        map:
          javascript: value
`,
    })
    const set = await loadManifests(dir)
    const warnings = (set.warnings ?? []).map((w) => `${w.field}: ${w.message}`)
    expect(warnings).toEqual([
      expect.stringMatching(/^spec\.config\.auto\.offset\.reset: agent config .*not applied/),
      expect.stringMatching(/^spec\.replicas: KasprApp field "replicas" is accepted but not applied/),
      expect.stringMatching(/^spec\.config\.auto\.offset\.reset: "auto\.offset\.reset" is accepted but not applied/),
      expect.stringMatching(/^spec\.config\.scheduler_enabled: .*not applied/),
      expect.stringMatching(/^spec\.options\.on_window_close: table option .*not applied/),
    ])
    const { app } = await createAppFromManifests(set, { logLevel: quiet.logLevel, broker: memoryBroker() })
    expect(app.settings).toMatchObject({ topicPartitions: 3, topicReplicationFactor: 1, brokerCommitIntervalMs: 1500 })
    expect(app.tables.get('latest-by-window')!.changelogTopic).toBe('latest-changelog')
    expect(app.agents.get('router')!.options).toMatchObject({ isolatedPartitions: true })
    expect(app.topics.get('requests')!.options).toMatchObject({ declare: false, retention: 3_600_000 })

    const misspelt = manifestDir({
      'table.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: prefs
spec:
  name: prefs
  extraTopicConfig:
    retention.ms: -1
`,
    })
    await expect(loadManifests(misspelt)).rejects.toThrow(
      /unknown field "extraTopicConfig" \(did you mean "extraTopicConfigs"\?\)/,
    )
    const misspeltSetting = manifestDir({
      'app.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprApp
metadata:
  name: a
spec:
  config:
    topic_partition: 3
`,
    })
    await expect(loadManifests(misspeltSetting)).rejects.toThrow(/unknown setting "topic_partition" \(did you mean/)
    const misspeltAppField = manifestDir({
      'app.yaml':
        'apiVersion: kaspr.io/v1alpha1\nkind: KasprApp\nmetadata:\n  name: a\nspec:\n  bootstrapServer: x:9092\n',
    })
    await expect(loadManifests(misspeltAppField)).rejects.toThrow(
      /unknown field "bootstrapServer" \(did you mean "bootstrapServers"\?\)/,
    )
  })

  it('nameSelector, passThrough, input.take and declare: false behave as Kaspr', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      running,
      broker,
      'crd-run',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: router
spec:
  input:
    take: { max: 2, within: 1s }
    topic:
      name: requests
  processors:
    operations:
      - name: each
        map:
          javascript: |
            for (const item of value) yield item
      - name: audit
        topicSend:
          name: audit
          passThrough: true
      - name: route
        topicSend:
          nameSelector:
            javascript: "'out-' + value.kind"
---
apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: never-created
spec:
  input:
    declare: false
    topic:
      name: external-only
  processors:
    operations:
      - name: noop
        filter:
          javascript: 'false'
`,
      ['audit', 'out-a', 'out-b'],
    )
    const requests = app.topics.get('requests')!
    for (const [i, kind] of ['a', 'b', 'a', 'b'].entries()) await requests.send({ key: `k${i}`, value: { kind, i } })
    await waitFor(
      () =>
        client.received.audit.length === 4 && client.received['out-a'].length + client.received['out-b'].length === 4,
      3000,
      'outputs',
    )
    expect(client.received['out-a'].map((r) => r.value)).toEqual([
      { kind: 'a', i: 0 },
      { kind: 'a', i: 2 },
    ])
    expect(client.received['out-b'].map((r) => r.value)).toEqual([
      { kind: 'b', i: 1 },
      { kind: 'b', i: 3 },
    ])
    expect(brokerOf(app).topic('external-only')).toBeUndefined()
  })
})

describe('Kaspr semantics (point 4)', () => {
  it('defaultSelector returns a factory, called for each missing key', async () => {
    const app = testApp('factories', quiet)
    await apply(
      app,
      ['Object', 'Number', 'Map', '() => ({ count: 0, users: [] })']
        .map(
          (code, i) => `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: t${i}
spec:
  name: t${i}
  defaultSelector:
    javascript: |
      return ${code}
`,
        )
        .join('---\n'),
    )
    const get = (name: string) => (app.tables.get(name) as unknown as { get(key: string): unknown }).get('missing')
    expect(get('t0')).toEqual({})
    expect(get('t1')).toBe(0)
    expect(get('t2')).toBeInstanceOf(Map)
    expect(get('t3')).toEqual({ count: 0, users: [] })
    // A fresh value each time: mutating one default does not change the next.
    ;(get('t3') as { users: string[] }).users.push('x')
    expect(get('t3')).toEqual({ count: 0, users: [] })
    const notFactory = testApp('not-factory', quiet)
    await expect(
      apply(
        notFactory,
        `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: t
spec:
  name: t
  defaultSelector:
    javascript: "({})"
`,
      ),
    ).rejects.toThrow(/spec\.defaultSelector .*must return a factory/)
  })

  it('an output without keySelector sends no key', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      running,
      broker,
      'no-key',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: relay
spec:
  input:
    topic:
      name: requests
  output:
    topics:
      - name: keyless
      - name: keyed
        keySelector:
          javascript: value.id
`,
      ['keyless', 'keyed'],
    )
    await app.topics.get('requests')!.send({ key: 'input-key', value: { id: 'r1' } })
    await waitFor(() => client.received.keyless.length + client.received.keyed.length === 2, 3000, 'outputs')
    expect(client.received.keyless[0]).toMatchObject({ key: undefined, value: { id: 'r1' } })
    expect(client.received.keyed[0]).toMatchObject({ key: 'r1', value: { id: 'r1' } })
  })

  it('a web view: {name} path params reach the code; onError gets the original error; no manifest path in responses', async () => {
    const app = testApp('views', quiet)
    const applied = await apply(
      app,
      `apiVersion: kaspr.io/v1alpha1
kind: KasprWebView
metadata:
  name: user-order
spec:
  request:
    method: GET
    path: /users/{user_id}/orders/{order-id}
  response:
    bodySelector:
      onError:
        entrypoint: on_error
        javascript: |
          function on_error(error) {
            return { type: error.constructor.name, message: error.message, same: error === globalThis.lastThrown }
          }
  processors:
    operations:
      - name: lookup
        map:
          javascript: |
            if (user_id === 'nobody') {
              globalThis.lastThrown = new RangeError('no such user')
              throw globalThis.lastThrown
            }
            return { user: user_id, order: params['order-id'], path: request.path }
---
apiVersion: kaspr.io/v1alpha1
kind: KasprWebView
metadata:
  name: plain-failure
spec:
  request:
    method: GET
    path: /fail
  processors:
    operations:
      - name: boom
        map:
          javascript: "JSON.parse('{not json')"
`,
    )
    const [view, failing] = applied.webViews
    expect(view).toMatchObject({ pattern: '/users/:user_id/orders/:order-id', params: ['user_id', 'order-id'] })
    expect(view.match('/users/u%201/orders/o9')).toEqual({ user_id: 'u 1', 'order-id': 'o9' })
    expect(view.match('/users/u1')).toBeUndefined()
    // Without params from a web server, they come from the path; with them, those are used.
    const ok = await view.handle({ method: 'GET', path: '/users/u1/orders/o9' })
    expect(JSON.parse(ok.body as string)).toEqual({ user: 'u1', order: 'o9', path: '/users/u1/orders/o9' })
    const routed = await view.handle({ method: 'GET', path: '/x', params: { user_id: 'u2', 'order-id': 'o1' } })
    expect(JSON.parse(routed.body as string)).toMatchObject({ user: 'u2', order: 'o1' })
    const bad = await view.handle({ method: 'GET', path: '/users/nobody/orders/o1' })
    expect(bad.statusCode).toBe(500)
    expect(JSON.parse(bad.body as string)).toEqual({ type: 'RangeError', message: 'no such user', same: true })
    const failed = await failing.handle({ method: 'GET', path: '/fail' })
    expect(failed.statusCode).toBe(500)
    expect(String(failed.body)).not.toMatch(/yaml|faustus-manifests|spec\.processors|raised/)
    expect(JSON.parse(failed.body as string).error).toMatch(/JSON/)
    delete (globalThis as { lastThrown?: unknown }).lastThrown
  })
})

describe('docs/kaspr-compat.md (point 7)', () => {
  it('names every field of the App, Agent, Table, Task and WebView specs and of their topics and windows', async () => {
    const { readFileSync } = await import('node:fs')
    const { RESOURCE_SCHEMAS, TableWindow } = await import('../../src/declarative/schema.ts')
    const { TopicSend, InputTopic, Input, Take } = await import('../../src/declarative/schema-parts.ts')
    const doc = readFileSync('docs/kaspr-compat.md', 'utf8')
    const objects = [
      ...Object.values(RESOURCE_SCHEMAS).map((schema) => schema.properties.spec),
      TopicSend,
      InputTopic,
      Input,
      Take,
      TableWindow,
    ]
    const missing = objects
      .flatMap((schema) => Object.keys((schema as { properties?: Record<string, unknown> }).properties ?? {}))
      .filter((field) => !new RegExp(`\`[^\`]*\\b${field}\\b[^\`]*\``).test(doc))
    expect([...new Set(missing)]).toEqual([])
  })
})

describe('warnings and web view checks', () => {
  it('--check prints fields accepted but not applied as warnings and still succeeds', async () => {
    const { runManifests } = await import('../../src/declarative/index.ts')
    const dir = manifestDir({
      'app.yaml': 'apiVersion: kaspr.io/v1alpha1\nkind: KasprApp\nmetadata:\n  name: a\nspec:\n  replicas: 3\n',
    })
    const err: string[] = []
    const code = await runManifests(dir, { check: true, stdout: () => {}, stderr: (t) => err.push(t) })
    expect(code).toBe(0)
    expect(err.join('')).toMatch(
      /^warning: .*app\.yaml:6:3: KasprApp "a" spec\.replicas: KasprApp field "replicas" is accepted but not applied/,
    )
  })

  it('a table paramName that is also a path parameter is refused', async () => {
    const dir = manifestDir({
      'view.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprWebView
metadata:
  name: v
spec:
  request: { method: GET, path: '/users/{user}' }
  processors:
    operations:
      - name: read
        tables: [{ name: users, paramName: user }]
        map: { javascript: user }
`,
    })
    await expect(loadManifests(dir)).rejects.toThrow(/paramName "user" is also a path parameter of \/users\/\{user\}/)
  })
})

describe('window.relativeTo: custom (point 3)', () => {
  it('windows are chosen by the time relativeToSelector reads from the value', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      running,
      broker,
      'custom-window',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: hourly
spec:
  name: hourly
  defaultSelector:
    javascript: return Number
  window:
    tumbling: { size: 1h }
    relativeTo: custom
    relativeToSelector:
      javascript: value.at
---
apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: hourly-counter
spec:
  input:
    topic:
      name: hits
  processors:
    operations:
      - name: count
        tables: [{ name: hourly, paramName: hourly }]
        map:
          javascript: |
            hourly.update(value.page, (n) => n + 1)
            return { at: value.at, inHour: hourly.get(value.page).value() }
  output:
    topics:
      - name: hourly-counts
`,
      ['hourly-counts'],
    )
    const hits = app.topics.get('hits')!
    // Times in this hour and the next (windows far in the past would already be expired).
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000
    const times = [hour + 1_000, hour + 2_000, hour + 3_600_000, hour + 3_000]
    for (const at of times) await hits.send({ key: 'home', value: { page: 'home', at } })
    await waitFor(() => client.received['hourly-counts'].length >= 4, 3000, 'counts')
    expect(client.received['hourly-counts'].map((r) => r.value)).toEqual([
      { at: times[0], inHour: 1 },
      { at: times[1], inHour: 2 },
      { at: times[2], inHour: 1 },
      { at: times[3], inHour: 3 },
    ])
  })
})

describe('isolatedPartitions (point 3)', () => {
  it('runs one actor per partition, each seeing only its partition, in order', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      running,
      broker,
      'isolated',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: per-partition
spec:
  isolatedPartitions: true
  input:
    topic:
      name: readings
  processors:
    operations:
      - name: tag
        map:
          javascript: "({ ...value, partition: event.partition })"
  output:
    topics:
      - name: tagged
        keySelector:
          javascript: value.sensor
`,
      ['tagged'],
    )
    expect(app.agents.get('per-partition')!.options.isolatedPartitions).toBe(true)
    const readings = app.topics.get('readings')!
    const sent: Record<string, number[]> = {}
    for (let i = 0; i < 20; i++) {
      const sensor = `s${i % 5}`
      ;(sent[sensor] ??= []).push(i)
      await readings.send({ key: sensor, value: { sensor, i } })
    }
    await waitFor(() => client.received.tagged.length >= 20, 3000, 'tagged')
    for (const [sensor, order] of Object.entries(sent)) {
      const got = client.received.tagged.filter((r) => r.key === sensor).map((r) => r.value as { i: number })
      expect(got.map((v) => v.i)).toEqual(order)
    }
    // Each actor reads its own partition: a sensor's records all come from one.
    for (const sensor of Object.keys(sent)) {
      const partitions = client.received.tagged
        .filter((r) => r.key === sensor)
        .map((r) => (r.value as { partition: number }).partition)
      expect(new Set(partitions).size).toBe(1)
    }
  })
})
