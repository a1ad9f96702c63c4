import { describe, expect, it } from 'vitest'
import { applyManifests, loadManifests } from '../../src/declarative/index.ts'
import type { App } from '../../src/index.ts'
import { stopAfterEach, testApp, waitFor } from '../helpers.ts'
import { collector, manifestDir, memoryBroker, quiet } from './helpers.ts'

const running = stopAfterEach()

/** An agent over an in-process channel, so tests can `ask` it: `operations` indented as under `operations:`. */
function channelAgent(name: string, operations: string, extra = ''): string {
  return `apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: ${name}
spec:
  input:
    channel:
      name: ${name}-in
${extra}  processors:
    operations:
${operations}`
}

async function started(yaml: string, app = testApp('code', { topicPartitions: 4 })): Promise<App> {
  await applyManifests(app, await loadManifests(manifestDir({ 'agent.yaml': yaml })))
  running.push(app)
  await app.start()
  return app
}

const ask = (app: App, agent: string, value: unknown, key?: unknown) =>
  app.agents.get(agent)!.ask(value, { key, timeout: 3000 })

describe('code snippets', () => {
  it('an expression, a body with return, and TypeScript with its types stripped', async () => {
    const app = await started(
      channelAgent(
        'forms',
        `      - name: expression
        map:
          javascript: value * 2
      - name: body
        map:
          javascript: |
            const plus = 1;
            return value + plus;
      - name: typed
        map:
          typescript: |
            interface Box { n: number }
            const box: Box = { n: value as number }
            return box
`,
      ),
    )
    expect(await ask(app, 'forms', 20)).toEqual({ n: 41 })
  })

  it('init declarations, context, key, headers, event and require are in scope', async () => {
    const yaml = `apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: scope
spec:
  input:
    channel:
      name: scope-in
  processors:
    init:
      javascript: |
        const path = require('node:path')
        function greet(name) { return \`hello \${name}\` }
    operations:
      - name: describe
        map:
          javascript: |
            context.state.calls = (context.state.calls ?? 0) + 1
            return {
              greeting: greet(value),
              key,
              headers: Object.keys(headers),
              channel: event.topic ?? 'in-process',
              app: context.app.id,
              resource: context.resource.name,
              calls: context.state.calls,
              sep: path.sep,
            }
`
    const app = await started(yaml)
    expect(await ask(app, 'scope', 'ann', 'k1')).toEqual({
      greeting: 'hello ann',
      key: 'k1',
      headers: [],
      channel: 'in-process',
      app: app.id,
      resource: 'scope',
      calls: 1,
      sep: '/',
    })
    expect(await ask(app, 'scope', 'bob')).toMatchObject({ greeting: 'hello bob', calls: 2 })
  })

  it('entrypoint: the code defines functions and the named one is called with (value, scope)', async () => {
    const app = await started(
      channelAgent(
        'entry',
        `      - name: price
        map:
          entrypoint: withVat
          javascript: |
            const RATE = 1.25
            function round(n) { return Math.round(n * 100) / 100 }
            function withVat(value, { key, context }) {
              return { key, gross: round(value.net * RATE), agent: context.resource.name }
            }
`,
      ),
    )
    expect(await ask(app, 'entry', { net: 9.99 }, 'sku-1')).toEqual({ key: 'sku-1', gross: 12.49, agent: 'entry' })
  })

  it('a body using yield gives several values (each goes on through the pipeline)', async () => {
    const broker = memoryBroker()
    const yaml = `apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: splitter
spec:
  input:
    topic:
      name: sentences
  processors:
    operations:
      - name: words
        map:
          javascript: |
            for (const word of value.split(' ')) yield word
      - name: long-words
        filter:
          javascript: value.length > 3
      - name: upper
        map:
          javascript: value.toUpperCase()
  output:
    topics:
      - name: words
`
    const client = collector(broker, ['words'])
    running.push(client.app)
    await started(yaml, testApp('split', { ...quiet, broker }))
    await client.app.start()
    await client.app.topic('sentences').send({ value: 'the quick brown fox jumps' })
    await waitFor(() => client.received.words.length === 3)
    expect(client.received.words.map((r) => r.value)).toEqual(['QUICK', 'BROWN', 'JUMPS'])
  })

  it('map returning undefined drops the value; filter keeps truthy results; async code is awaited', async () => {
    const app = await started(
      channelAgent(
        'drops',
        `      - name: maybe
        map:
          javascript: |
            await new Promise((resolve) => setTimeout(resolve, 1))
            if (value.skip) return
            return value
      - name: truthy
        filter:
          javascript: value.n
      - name: out
        map:
          javascript: value.n
`,
      ),
    )
    const agent = app.agents.get('drops')!
    await expect(agent.ask({ skip: true, n: 1 }, { timeout: 200 })).rejects.toMatchObject({ code: 'FST_ASK_TIMEOUT' })
    await expect(agent.ask({ n: 0 }, { timeout: 200 })).rejects.toMatchObject({ code: 'FST_ASK_TIMEOUT' })
    expect(await ask(app, 'drops', { n: 7 })).toBe(7)
  })

  it('message data is only ever a value: strings that look like code are not evaluated', async () => {
    const app = await started(
      channelAgent(
        'data',
        `      - name: echo
        map:
          javascript: "({ text: value.text + '!', type: typeof value.text })"
`,
      ),
    )
    const text = "'); process.exit(1); ('"
    expect(await ask(app, 'data', { text })).toEqual({ text: `${text}!`, type: 'string' })
    const template = ['$', '{process.pid}'].join('')
    expect(await ask(app, 'data', { text: template })).toEqual({ text: `${template}!`, type: 'string' })
  })
})

describe('code raising at run time', () => {
  it('is handled by the agent error policy: dead-lettered with the resource, field and manifest line', async () => {
    const broker = memoryBroker()
    const yaml = `apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: fragile
spec:
  input:
    topic:
      name: numbers
  onError:
    deadLetter: numbers-dead
  processors:
    operations:
      - name: invert
        map:
          javascript: |
            if (value === 0) throw new RangeError('cannot invert 0')
            return 1 / value
  output:
    topics:
      - name: inverted
`
    const client = collector(broker, ['inverted', 'numbers-dead'])
    running.push(client.app)
    await started(yaml, testApp('fragile', { ...quiet, broker }))
    await client.app.start()
    const numbers = client.app.topic('numbers', { partitions: 4 })
    for (const n of [4, 0, 2]) await numbers.send({ key: 'same', value: n })
    await waitFor(() => client.received.inverted.length === 2 && client.received['numbers-dead'].length === 1)
    expect(client.received.inverted.map((r) => r.value)).toEqual([0.25, 0.5])
    const [dead] = client.received['numbers-dead']
    expect(dead.value).toBe(0)
    expect(dead.headers['faustus-error-code']).toBe('FST_MANIFEST_CODE')
    expect(dead.headers['faustus-error']).toMatch(
      /^Agent "fragile" spec\.processors\.operations\[0\]\.map \(.*agent\.yaml:16\) raised: cannot invert 0$/,
    )
  })

  it('init that throws fails applyManifests with the resource and init line', async () => {
    const yaml = channelAgent('boom', '      - name: id\n        map:\n          javascript: value\n').replace(
      '  processors:\n',
      "  processors:\n    init:\n      javascript: |\n        const config = JSON.parse('{not json')\n",
    )
    const app = testApp('boom')
    const set = await loadManifests(manifestDir({ 'agent.yaml': yaml }))
    await expect(applyManifests(app, set)).rejects.toMatchObject({
      code: 'FST_MANIFEST_CODE',
      message: expect.stringMatching(/^Agent "boom" spec\.processors\.init \(.*agent\.yaml:12\) raised: .*JSON/),
    })
  })
})
