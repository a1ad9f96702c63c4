/** Issue 14 (Kaspr compatibility): generators, code-chosen table keys, multi-name topics, --check vs run. */
import { describe, expect, it } from 'vitest'
import type { Table } from '../../src/tables/table.ts'
import { stopAfterEach, testApp, waitFor } from '../helpers.ts'
import { apply, manifestDir, memoryBroker, quiet, started } from './helpers.ts'

const running = stopAfterEach()

describe('multi-name topics (point 5)', () => {
  it('a record sent to the second name of a topic another agent reads under several names lands there', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      running,
      broker,
      'multi-name',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: reader
spec:
  input:
    topic:
      names: [my-topic1, my-topic2]
  processors:
    operations:
      - name: tag
        map:
          javascript: "({ ...value, seenOn: event.topic })"
  output:
    topics:
      - name: seen
---
apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: writer
spec:
  input:
    topic:
      name: requests
  processors:
    operations:
      - name: route
        topicSend:
          name: my-topic2
`,
      ['seen'],
    )
    await app.topics.get('requests')!.send({ key: 'k', value: { n: 1 } })
    await waitFor(() => client.received.seen.length >= 1, 3000, 'seen')
    expect(client.received.seen[0].value).toEqual({ n: 1, seenOn: 'my-topic2' })
    expect(app.topics.get('my-topic2')!.name).toBe('my-topic2')
    expect(app.topics.get('my-topic1')!.names).toEqual(['my-topic1', 'my-topic2'])
  })
})

describe('generator entrypoints (point 1)', () => {
  it('sync and async generators are expanded into their values, in order, and later operations run', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      running,
      broker,
      'generators',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: fanout
spec:
  input:
    topic:
      name: requests
  processors:
    pipeline: [split, enrich, double]
    operations:
      - name: split
        map:
          entrypoint: split
          javascript: |
            function* split(value) {
              for (const channel of value.channels) yield { id: value.id, channel }
            }
      - name: enrich
        map:
          entrypoint: enrich
          javascript: |
            async function* enrich(value) {
              yield { ...value, copy: 1 }
              if (value.channel === 'email') yield { ...value, copy: 2 }
            }
      - name: double
        map:
          javascript: "({ ...value, tag: value.channel + '#' + value.copy })"
  output:
    topics:
      - name: notifications
`,
      ['notifications'],
    )
    await app.topics.get('requests')!.send({ key: 'u1', value: { id: 'n1', channels: ['email', 'sms', 'push'] } })
    await waitFor(() => client.received.notifications.length >= 4, 3000, 'notifications')
    expect(client.received.notifications.map((r) => r.value)).toEqual([
      { id: 'n1', channel: 'email', copy: 1, tag: 'email#1' },
      { id: 'n1', channel: 'email', copy: 2, tag: 'email#2' },
      { id: 'n1', channel: 'sms', copy: 1, tag: 'sms#1' },
      { id: 'n1', channel: 'push', copy: 1, tag: 'push#1' },
    ])
  })

  it('a map giving neither a value nor a generator of values is an error naming the field', async () => {
    const app = testApp('not-a-value', quiet)
    const applied = await apply(
      app,
      `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: broken
spec:
  input:
    channel:
      name: in
  processors:
    operations:
      - name: forgot-to-call
        map:
          entrypoint: make
          javascript: |
            function make(value) {
              return function* () { yield value }
            }
`,
    )
    const agent = applied.agents[0]
    const errors: unknown[] = []
    const original = agent.onError.bind(agent)
    agent.onError = async (error, event) => {
      errors.push(error)
      return original(error, event)
    }
    running.push(app)
    await app.start()
    await agent.send({ value: 1 })
    await waitFor(() => errors.length >= 1, 3000, 'the error')
    expect(errors[0]).toMatchObject({ code: 'FST_MANIFEST_CODE' })
    expect((errors[0] as Error).message).toMatch(
      /KasprAgent "broken" spec\.processors\.operations\[0\]\.map .*raised: map "forgot-to-call" returned a function/,
    )
  })
})

describe("table writes under keys of the code's choosing (point 2)", () => {
  it('are kept in the partition of the event being processed; reads of the key there see them', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      running,
      broker,
      'dimension-counter',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: event-counters
spec:
  name: event-counters
  partitions: 4
---
apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: counter
spec:
  input:
    topic:
      name: events
  processors:
    operations:
      - name: count
        tables:
          - name: event-counters
            paramName: counters
        map:
          entrypoint: count
          javascript: |
            function count(value, { counters, event }) {
              const dimension = 'type:' + value.type
              const counter = counters.get(dimension) ?? { count: 0 }
              counter.count += 1
              counters.set(dimension, counter)
              return { dimension, count: counter.count, partition: event.partition }
            }
  output:
    topics:
      - name: counts
`,
      ['counts'],
    )
    const events = app.topics.get('events')!
    const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6']
    for (const user of users) {
      for (const type of ['click', 'view', 'click']) await events.send({ key: user, value: { user, type } })
    }
    await waitFor(() => client.received.counts.length >= 18, 3000, 'counts')
    const counts = client.received.counts.map((r) => r.value as { dimension: string; count: number; partition: number })
    // Per partition of the input, each dimension counts the events of that partition.
    const perPartition = new Map<string, number>()
    for (const c of counts) {
      const key = `${c.partition}/${c.dimension}`
      perPartition.set(key, (perPartition.get(key) ?? 0) + 1)
      expect(c.count).toBe(perPartition.get(key))
    }
    // The table holds one entry per partition a dimension was written from; their sum is the total.
    const table = app.tables.get('event-counters') as unknown as Table<string, { count: number }>
    let clicks = 0
    for (const [key, value] of table.entries()) if (key === 'type:click') clicks += value.count
    expect(clicks).toBe(12)
  })
})

describe('--check agrees with run (point 6)', () => {
  it('a table of another app is refused by loading, so --check and run both refuse it', async () => {
    const dir = manifestDir({
      'apps.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprApp
metadata:
  name: app-a
---
apiVersion: kaspr.io/v1alpha1
kind: KasprApp
metadata:
  name: app-b
`,
      'table.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: counts
  labels:
    kaspr.io/app: app-b
spec:
  name: counts
`,
      'agent.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: counter
  labels:
    kaspr.io/app: app-a
spec:
  input:
    topic:
      name: events
  processors:
    operations:
      - name: count
        tables:
          - name: counts
            paramName: counts
        map:
          javascript: value
`,
    })
    const { runManifests } = await import('../../src/declarative/index.ts')
    const errors: string[] = []
    const code = await runManifests(dir, { check: true, app: 'app-a', stdout: () => {}, stderr: (t) => errors.push(t) })
    expect(code).toBe(1)
    expect(errors.join('')).toMatch(
      /agent\.yaml:\d+:\d+: KasprAgent "counter" spec\.processors\.operations\[0\]\.tables\[0\]\.name: table "counts" belongs to app "app-b"/,
    )
    await expect(
      runManifests(dir, { app: 'app-a', appOptions: { ...quiet, broker: memoryBroker() }, worker: async () => {} }),
    ).rejects.toThrow(/table "counts" belongs to app "app-b"/)
  })
})
