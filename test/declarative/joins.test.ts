import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { applyManifests, declaredChannel, loadManifests, type ManifestError } from '../../src/declarative/index.ts'
import { App, type Stream } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { manifestDir, quiet } from './helpers.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

function newApp(id: string): App {
  return new App(id, { ...quiet, broker: `memory://${id}-${randomUUID()}`, topicPartitions: 2 })
}

const KASPR_JOIN = `apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: orders
spec:
  name: orders
---
apiVersion: kaspr.io/v1alpha1
kind: KasprTable
metadata:
  name: customers
spec:
  name: customers
  global: true
---
apiVersion: kaspr.io/v1alpha1
kind: KasprJoin
metadata:
  name: order-customer
spec:
  leftTable: orders
  rightTable: customers
  extractor:
    entrypoint: customer_of
    javascript: |
      function customer_of(value) { return value.customer }
  type: TYPE
  outputChannel: enriched-orders
`

async function kasprJoinApp(type: 'inner' | 'left') {
  const app = newApp(`kj-${type}`)
  const set = await loadManifests(manifestDir({ 'join.yaml': KASPR_JOIN.replace('TYPE', type) }))
  await applyManifests(app, set)
  const ordersIn = app.topic('orders-in', { keyType: 'json', valueType: 'json' })
  const customersIn = app.topic('customers-in', { keyType: 'json', valueType: 'json' })
  const out = app.topic('out', { keyType: 'json', valueType: 'json' })
  const orders = app.tables.get('orders') as unknown as { set(k: unknown, v: unknown): void }
  const customers = app.tables.get('customers') as unknown as { set(k: unknown, v: unknown): void }
  app.agent(ordersIn, async function keepOrders(stream) {
    for await (const event of stream.events()) orders.set(event.key, event.value)
  })
  app.agent(customersIn, async function keepCustomers(stream) {
    for await (const event of stream.events()) customers.set(event.key, event.value)
  })
  // The channel KasprAgents would read with input.channel.name.
  app.agent(declaredChannel(app, 'enriched-orders'), async function forward(stream: Stream<unknown, unknown>) {
    for await (const event of stream.events()) await out.send({ key: event.key, value: event.value })
  })
  const driver = new TestDriver(app)
  drivers.push(driver)
  await driver.start()
  return { driver, ordersIn, customersIn, out }
}

describe('Join resources', () => {
  it("KasprJoin (inner): a left change looks the right table up by the extractor's key; no match sends nothing", async () => {
    const { driver, ordersIn, customersIn, out } = await kasprJoinApp('inner')
    await driver.send(customersIn, { key: 'c1', value: 'ACME' })
    await driver.idle()
    await driver.send(ordersIn, { key: 'o1', value: { customer: 'c1' } })
    await driver.send(ordersIn, { key: 'o2', value: { customer: 'c9' } })
    await driver.idle()
    expect(driver.records(out).map((r) => [r.key, r.value])).toEqual([
      ['o1', { left: { customer: 'c1' }, right: 'ACME' }],
    ])
  })

  it('KasprJoin (left): no match sends the left value with right null', async () => {
    const { driver, ordersIn, out } = await kasprJoinApp('left')
    await driver.send(ordersIn, { key: 'o2', value: { customer: 'c9' } })
    await driver.idle()
    expect(driver.values(out)).toEqual([{ left: { customer: 'c9' }, right: null }])
  })

  it('a stream–stream Join resource: two topics joined within a window, results to a topic', async () => {
    const app = newApp('sj')
    const yaml = `apiVersion: faustus.io/v1alpha1
kind: Join
metadata:
  name: clicks-views
spec:
  left: { topic: clicks }
  right: { topic: views }
  window: { within: 10s, grace: 1s }
  type: left
  outputTopic: clicks-views
`
    await applyManifests(app, await loadManifests(manifestDir({ 'join.yaml': yaml })))
    const clicks = app.topics.get('clicks')!
    const views = app.topics.get('views')!
    const driver = new TestDriver(app)
    drivers.push(driver)
    await driver.start()
    const t = driver.clock.now()
    await driver.send(clicks, { key: Buffer.from('u1'), value: 'c1', timestamp: t })
    await driver.send(views, { key: Buffer.from('u1'), value: 'v1', timestamp: t + 2000 })
    await driver.send(clicks, { key: Buffer.from('u2'), value: 'c2', timestamp: t + 3000 })
    await driver.idle()
    await driver.send(views, { key: Buffer.from('u3'), value: 'end', timestamp: t + 60_000 })
    await driver.idle()
    expect(driver.values('clicks-views')).toEqual(
      expect.arrayContaining([
        { left: 'c1', right: 'v1' },
        { left: 'c2', right: null },
      ]),
    )
    expect(driver.values('clicks-views')).toHaveLength(2)
  })

  it('refuses a table join of kind outer, a missing extractor, Python code and an unknown table', async () => {
    const issues = async (yaml: string) => {
      try {
        await applyManifests(newApp('bad'), await loadManifests(manifestDir({ 'j.yaml': yaml })))
        return []
      } catch (error) {
        return (error as ManifestError).issues.map((issue) => `${issue.field}: ${issue.message}`)
      }
    }
    const join = (spec: string) =>
      `apiVersion: kaspr.io/v1alpha1\nkind: KasprJoin\nmetadata:\n  name: j\nspec:\n${spec}`
    const code = '  extractor:\n    javascript: value.customer\n'
    expect(await issues(join(`  leftTable: a\n  rightTable: b\n${code}  type: outer\n`))).toEqual(
      expect.arrayContaining([expect.stringContaining('not outer')]),
    )
    expect((await issues(join('  leftTable: a\n  rightTable: b\n'))).length).toBeGreaterThan(0)
    expect(
      await issues(join('  leftTable: a\n  rightTable: b\n  extractor:\n    python: "def f(v): return v"\n')),
    ).toEqual(expect.arrayContaining([expect.stringMatching(/python|javascript/i)]))
    expect(await issues(join(`  leftTable: a\n  rightTable: b\n${code}`))).toEqual(
      expect.arrayContaining([expect.stringContaining('no table named "a"')]),
    )
  })
})
