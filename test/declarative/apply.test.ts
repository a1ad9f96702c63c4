import { describe, expect, it } from 'vitest'
import { applyManifests, declaredOrigin, loadManifests, type ManifestError } from '../../src/declarative/index.ts'
import { matchTopics } from '../../src/declarative/patterns.ts'
import type { App, Stream } from '../../src/index.ts'
import { stopAfterEach, testApp, waitFor } from '../helpers.ts'
import { collector, manifestDir, memoryBroker, quiet } from './helpers.ts'

const running = stopAfterEach()

const agent = (name: string, input: string, rest = '', metadata = '') => `apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: ${name}
${metadata}spec:
  input:
${input}${rest}`

async function applyFailure(app: App, yaml: string): Promise<string[]> {
  const set = await loadManifests(manifestDir({ 'm.yaml': yaml }))
  return applyManifests(app, set).then(
    () => [],
    (error: ManifestError) => error.issues.map((i) => `${i.line} ${i.field}: ${i.message}`),
  )
}

describe('applying manifests to an app', () => {
  it('code agents and YAML agents run in one app and feed each other', async () => {
    const broker = memoryBroker()
    const app = testApp('mixed', { ...quiet, broker })
    const doubled = app.topic('doubled')
    const seen: unknown[] = []
    app.agent(
      doubled,
      async (stream: Stream<number>) => {
        for await (const value of stream) seen.push(value + 1)
      },
      { name: 'code-agent' },
    )
    const yaml = agent(
      'yaml-agent',
      '    topic:\n      name: numbers\n',
      '  processors:\n    operations:\n      - name: double\n        map:\n          javascript: value * 2\n  output:\n    topics:\n      - name: doubled\n',
    )
    const applied = await applyManifests(app, await loadManifests(manifestDir({ 'm.yaml': yaml })))
    expect(applied.agents.map((a) => a.name)).toEqual(['yaml-agent'])
    expect([...app.agents.keys()]).toEqual(['code-agent', 'yaml-agent'])
    expect(app.topics.get('doubled')).toBe(doubled)
    expect(declaredOrigin(app, 'Agent', 'yaml-agent')).toMatchObject({ kind: 'Agent', line: 1 })
    expect(declaredOrigin(app, 'Agent', 'code-agent')).toBeUndefined()
    running.push(app)
    await app.start()
    for (const n of [1, 2, 3]) await app.topic('numbers').send({ value: n })
    await waitFor(() => seen.length === 3)
    expect(seen.sort()).toEqual([3, 5, 7])
  })

  it('an input channel: the agent answers ask() with its result; take batches values', async () => {
    const app = testApp('channels')
    const yaml = [
      agent(
        'summer',
        '    channel:\n      name: numbers\n',
        '  processors:\n    operations:\n      - name: sum\n        map:\n          javascript: value.a + value.b\n',
      ),
      agent(
        'batcher',
        '    channel:\n      name: items\n',
        '  take:\n    max: 3\n    within: 50ms\n  processors:\n    operations:\n      - name: size\n        map:\n          javascript: value.length\n  output:\n    topics:\n      - name: sizes\n',
      ),
    ].join('---\n')
    await applyManifests(app, await loadManifests(manifestDir({ 'm.yaml': yaml })))
    const sizes: unknown[] = []
    app.agent(
      app.topics.get('sizes')!,
      async (stream) => {
        for await (const size of stream) sizes.push(size)
      },
      { name: 'sizes' },
    )
    running.push(app)
    await app.start()
    expect(await app.agents.get('summer')!.ask({ a: 2, b: 3 }, { timeout: 2000 })).toBe(5)
    const batcher = app.agents.get('batcher')!
    for (const item of ['a', 'b', 'c', 'd']) await batcher.cast(item)
    await waitFor(() => sizes.length === 2)
    expect(sizes).toEqual([3, 1])
  })

  it('a topic pattern reads every matching topic the app knows (full-name match)', async () => {
    const broker = memoryBroker()
    const app = testApp('patterns', { ...quiet, broker })
    app.topic('events-eu')
    app.topic('events-us')
    app.topic('events-eu-archive')
    const yaml = agent(
      'all-events',
      "    topic:\n      pattern: 'events-(eu|us)'\n",
      '  output:\n    topics:\n      - name: merged\n',
    )
    const [resolved] = (await applyManifests(app, await loadManifests(manifestDir({ 'm.yaml': yaml })))).agents
    expect((resolved.channel as { names: readonly string[] }).names).toEqual(['events-eu', 'events-us'])
    const client = collector(broker, ['merged'])
    running.push(app, client.app)
    await app.start()
    await client.app.start()
    for (const topic of ['events-eu', 'events-us', 'events-eu-archive'])
      await app.topics.get(topic)!.send({ value: topic })
    await waitFor(() => client.received.merged.length === 2)
    expect(client.received.merged.map((r) => r.value).sort()).toEqual(['events-eu', 'events-us'])
  })

  it('pattern matching: whole names, internal topics left out', () => {
    const names = ['orders', 'orders-eu', 'pre-orders', '__consumer_offsets', '__orders']
    expect(matchTopics('orders.*', names)).toEqual(['orders', 'orders-eu'])
    expect(matchTopics('.*orders', names)).toEqual(['orders', 'pre-orders'])
  })

  it('checks what depends on the app before defining anything', async () => {
    const app = testApp('checks')
    app.agent(app.topic('x'), async () => {}, { name: 'taken' })
    const found = await applyFailure(
      app,
      [
        agent('taken', '    topic:\n      name: a\n'),
        agent('no-match', "    topic:\n      pattern: 'nothing-.*'\n"),
        agent(
          'uses-table',
          '    topic:\n      name: b\n',
          '  processors:\n    operations:\n      - name: count\n        tables:\n          - name: missing\n            paramName: t\n        map:\n          javascript: value\n',
        ),
        agent('elsewhere', '    topic:\n      name: c\n', '', '  labels:\n    kaspr.io/app: other-app\n'),
      ].join('---\n'),
    )
    expect(found).toEqual([
      '4 metadata.name: app "checks" already has an agent named "taken"',
      '17 spec.input.topic.pattern: pattern matched no topic among the topics the app declares',
      '31 spec.processors.operations[0].tables[0].name: no table named "missing" (declare a Table resource or app.table("missing"))',
      '41 metadata.labels.kaspr.io/app: unknown app "other-app": the manifests are applied to app "checks"',
    ])
    expect([...app.agents.keys()]).toEqual(['taken'])
  })

  it('resources labelled for another declared app are left to that app', async () => {
    const app = testApp('one')
    const yaml = [
      'apiVersion: kaspr.io/v1alpha1\nkind: KasprApp\nmetadata:\n  name: two\n',
      agent('mine', '    topic:\n      name: a\n', '', '  labels:\n    kaspr.io/app: one\n'),
      agent('theirs', '    topic:\n      name: b\n', '', '  labels:\n    kaspr.io/app: two\n'),
    ].join('---\n')
    const applied = await applyManifests(app, await loadManifests(manifestDir({ 'm.yaml': yaml }), { app: 'one' }))
    expect(applied.agents.map((a) => a.name)).toEqual(['mine'])
  })
})
