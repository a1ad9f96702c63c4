import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type AppOptions, FaustusError } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'

interface Order {
  id: string
  country: string
}

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})

function newApp(id: string, options: AppOptions = {}): App {
  return new App(id, { broker: `memory://${id}-${randomUUID()}`, logLevel: 'silent', topicPartitions: 4, ...options })
}

async function started(app: App): Promise<TestDriver> {
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

function enrichment(kind: 'inner' | 'left', global = false) {
  const app = newApp(`st-${kind}`)
  const users = app.topic('users', { keyType: 'json', valueType: 'json' })
  const clicks = app.topic('clicks', { keyType: 'json', valueType: 'json' })
  const out = app.topic('enriched', { keyType: 'json', valueType: 'json' })
  const names = global
    ? app.globalTable<string, string>('names')
    : app.table<string, string>('names', { partitions: 4 })
  app.agent(users, async function keep(stream) {
    for await (const event of stream.events()) names.set(event.key as string, event.value as string)
  })
  app.task(async function enrich() {
    const clicked = clicks.stream()
    const joined =
      kind === 'inner'
        ? clicked.joinTable(names, { joiner: (page, name) => ({ page, name }) })
        : clicked.leftJoinTable(names, { joiner: (page, name) => ({ page, name }) })
    for await (const value of joined) await out.send({ value })
  })
  return { app, users, clicks, out, names }
}

describe('stream–table join', () => {
  it('inner: enriches events whose key is in the table, drops the others', async () => {
    const { app, users, clicks, out } = enrichment('inner')
    const driver = await started(app)
    await driver.send(users, { key: 'u1', value: 'Ada' })
    await driver.idle()
    await driver.send(clicks, { key: 'u1', value: '/home' })
    await driver.send(clicks, { key: 'u2', value: '/about' })
    await driver.idle()
    expect(driver.values(out)).toEqual([{ page: '/home', name: 'Ada' }])
  })

  it('left: events whose key is missing go on with null', async () => {
    const { app, users, clicks, out } = enrichment('left')
    const driver = await started(app)
    await driver.send(users, { key: 'u1', value: 'Ada' })
    await driver.idle()
    await driver.send(clicks, { key: 'u2', value: '/about' })
    await driver.send(clicks, { key: 'u1', value: '/home' })
    await driver.idle()
    expect(driver.values(out)).toEqual(
      expect.arrayContaining([
        { page: '/about', name: null },
        { page: '/home', name: 'Ada' },
      ]),
    )
    expect(driver.values(out)).toHaveLength(2)
  })

  it('global table: joined by a key selector, no co-partitioning needed', async () => {
    const app = newApp('st-global')
    const countries = app.topic('countries', { keyType: 'json', valueType: 'json' })
    const orders = app.topic('orders', { keyType: 'json', valueType: 'json', partitions: 2 })
    const out = app.topic('orders-out', { valueType: 'json' })
    const names = app.globalTable<string, string>('country-names')
    app.agent(countries, async function keep(stream) {
      for await (const event of stream.events()) names.set(event.key as string, event.value as string)
    })
    app.task(async function enrich() {
      const joined = orders.stream().joinTable(names, {
        key: (order) => (order as Order).country,
        joiner: (order, country) => `${(order as Order).id} ${country}`,
      })
      for await (const value of joined) await out.send({ value })
    })
    const driver = await started(app)
    await driver.send(countries, { key: 'fr', value: 'France' })
    await driver.idle()
    await driver.send(orders, { key: 'o1', value: { id: 'o1', country: 'fr' } })
    await driver.idle()
    expect(driver.values(out)).toEqual(['o1 France'])
  })

  it('refuses a partitioned table with another partition count than the stream (FST_JOIN_COPARTITION)', () => {
    const app = newApp('st-copart')
    const clicks = app.topic('clicks', { partitions: 4 })
    const names = app.table('names', { partitions: 8 })
    let error: unknown
    try {
      clicks.stream().joinTable(names)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(FaustusError)
    expect((error as FaustusError).code).toBe('FST_JOIN_COPARTITION')
  })
})
