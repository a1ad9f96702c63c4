import { randomUUID } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { App, type AppOptions, type FaustusError, joinTables } from '../../src/index.ts'
import { TestDriver } from '../../src/testing/index.ts'
import { waitFor } from '../helpers.ts'
import { memoryBroker, stopWorkers, worker } from '../tables/helpers.ts'

const drivers: TestDriver[] = []
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.stop()
})
afterEach(stopWorkers)

function newApp(id: string, options: AppOptions = {}): App {
  return new App(id, { broker: `memory://${id}-${randomUUID()}`, logLevel: 'silent', topicPartitions: 2, ...options })
}

async function started(app: App): Promise<TestDriver> {
  const driver = new TestDriver(app)
  drivers.push(driver)
  return driver.start()
}

/** Two tables filled from two topics (value null deletes), joined into a third. */
function profiles(kind: 'inner' | 'left' | 'outer') {
  const app = newApp(`tt-${kind}`)
  const namesIn = app.topic('names', { keyType: 'json', valueType: 'json' })
  const emailsIn = app.topic('emails', { keyType: 'json', valueType: 'json' })
  const names = app.table<string, string>('names')
  const emails = app.table<string, string>('emails')
  const profilesTable = app.table<string, string>('profiles')
  const changes: [string, string | null][] = []
  joinTables(names, emails, {
    kind,
    into: profilesTable,
    joiner: (name, email) => `${name ?? '?'} <${email ?? '?'}>`,
  }).onChange((key, value) => changes.push([key, value]))
  for (const [topic, table] of [
    [namesIn, names],
    [emailsIn, emails],
  ] as const) {
    app.agent(
      topic,
      async (stream) => {
        for await (const event of stream.events()) {
          if (event.value === null) table.delete(event.key as string)
          else table.set(event.key as string, event.value as string)
        }
      },
      { name: `keep-${topic.name}` },
    )
  }
  return { app, namesIn, emailsIn, profiles: profilesTable, changes }
}

describe('table–table join', () => {
  it('inner: the result table follows changes of either side, and a key leaving one side leaves the join', async () => {
    const t = profiles('inner')
    const driver = await started(t.app)
    await driver.send(t.namesIn, { key: 'u1', value: 'Ada' })
    await driver.idle()
    expect(driver.table(t.profiles).size).toBe(0)
    await driver.send(t.emailsIn, { key: 'u1', value: 'ada@example.com' })
    await driver.idle()
    expect(Object.fromEntries(driver.table(t.profiles))).toEqual({ u1: 'Ada <ada@example.com>' })
    await driver.send(t.namesIn, { key: 'u1', value: 'Ada L.' })
    await driver.idle()
    expect(t.profiles.get('u1')).toBe('Ada L. <ada@example.com>')
    await driver.send(t.emailsIn, { key: 'u1', value: null as unknown as string })
    await driver.idle()
    expect(driver.table(t.profiles).size).toBe(0)
    expect(t.changes).toEqual([
      ['u1', null],
      ['u1', 'Ada <ada@example.com>'],
      ['u1', 'Ada L. <ada@example.com>'],
      ['u1', null],
    ])
  })

  it('left and outer: a missing side is null', async () => {
    const left = profiles('left')
    let driver = await started(left.app)
    await driver.send(left.emailsIn, { key: 'u2', value: 'bob@example.com' })
    await driver.send(left.namesIn, { key: 'u1', value: 'Ada' })
    await driver.idle()
    expect(Object.fromEntries(driver.table(left.profiles))).toEqual({ u1: 'Ada <?>' })
    const outer = profiles('outer')
    driver = await started(outer.app)
    await driver.send(outer.emailsIn, { key: 'u2', value: 'bob@example.com' })
    await driver.send(outer.namesIn, { key: 'u1', value: 'Ada' })
    await driver.idle()
    expect(Object.fromEntries(driver.table(outer.profiles))).toEqual({ u1: 'Ada <?>', u2: '? <bob@example.com>' })
  })

  it('foreign key (extractor): left changes look the right table up by a key taken from the left value', async () => {
    const app = newApp('tt-fk')
    const ordersIn = app.topic('orders', { keyType: 'json', valueType: 'json' })
    const customersIn = app.topic('customers', { keyType: 'json', valueType: 'json' })
    const orders = app.table<string, { customer: string; total: number }>('orders')
    const customers = app.globalTable<string, string>('customers')
    const seen: unknown[] = []
    const join = joinTables(orders, customers, { kind: 'inner', extractor: (order) => order.customer }).onChange(
      (key, value) => seen.push([key, value]),
    )
    app.agent(ordersIn, async function keepOrders(stream) {
      for await (const event of stream.events()) orders.set(event.key as string, event.value as never)
    })
    app.agent(customersIn, async function keepCustomers(stream) {
      for await (const event of stream.events()) customers.set(event.key as string, event.value as string)
    })
    const driver = await started(app)
    await driver.send(customersIn, { key: 'c1', value: 'ACME' })
    await driver.idle()
    await driver.send(ordersIn, { key: 'o1', value: { customer: 'c1', total: 5 } })
    await driver.send(ordersIn, { key: 'o2', value: { customer: 'c9', total: 7 } })
    await driver.idle()
    expect(join.get('o1')).toEqual({ left: { customer: 'c1', total: 5 }, right: 'ACME' })
    expect(join.get('o2')).toBeUndefined()
    expect(seen).toEqual(
      expect.arrayContaining([
        ['o1', { left: { customer: 'c1', total: 5 }, right: 'ACME' }],
        ['o2', null],
      ]),
    )
  })

  it('a global right table: a change another worker writes (applied from the changelog) recomputes the key where the left table holds it', async () => {
    const broker = memoryBroker('tt-global')
    const member = () => {
      const app = worker('tt-global', broker, { topicPartitions: 2 })
      const namesIn = app.topic('names', { keyType: 'json', valueType: 'json' })
      const emailsIn = app.topic('emails', { keyType: 'json', valueType: 'json' })
      const names = app.table<string, string>('names')
      const emails = app.globalTable<string, string>('emails', { keyPartitionCheck: 'off' })
      const profiles = app.table<string, string>('profiles')
      const changes: [string, string | null, number][] = []
      joinTables(names, emails, {
        kind: 'left',
        into: profiles,
        joiner: (name, email) => `${name ?? '?'} <${email ?? '?'}>`,
      }).onChange((key, value, partition) => changes.push([key, value, partition]))
      app.agent(namesIn, async function keepNames(stream) {
        for await (const event of stream.events()) names.set(event.key as string, event.value as string)
      })
      app.agent(emailsIn, async function keepEmails(stream) {
        for await (const event of stream.events()) emails.set(event.key as string, event.value as string)
      })
      return { app, namesIn, emailsIn, names, profiles, changes }
    }
    const [a, b] = [member(), member()]
    await a.app.start()
    await b.app.start()
    await waitFor(() => a.names.activePartitions.size === 1 && b.names.activePartitions.size === 1)
    const left = a.names.activePartitions.has(0) ? a : b
    // u1's name in partition 0 (its worker holds the left side), its email written from partition 1: the other
    // worker writes the global table, the first one applies the change from the changelog.
    await a.namesIn.send({ key: 'u1', value: 'Ada', partition: 0 })
    await waitFor(() => left.profiles.lookupIn(0, 'u1') === 'Ada <?>' || undefined, 20_000, 'the left-only result')
    await a.emailsIn.send({ key: 'u1', value: 'ada@example.com', partition: 1 })
    await waitFor(
      () => left.profiles.lookupIn(0, 'u1') === 'Ada <ada@example.com>' || undefined,
      20_000,
      () => `the joined result (left worker's changes: ${JSON.stringify(left.changes)})`,
    )
    expect(left.changes).toEqual([
      ['u1', 'Ada <?>', 0],
      ['u1', 'Ada <ada@example.com>', 0],
    ])
  }, 60_000)

  it('a standby replica applies the changes and the result from the changelogs, without recomputing', async () => {
    const broker = memoryBroker('tt-standby')
    const member = () => {
      const app = worker('tt-standby', broker, { topicPartitions: 2 })
      const namesIn = app.topic('names', { keyType: 'json', valueType: 'json' })
      const names = app.table<string, string>('names', { standbys: 1 })
      const emails = app.table<string, string>('emails', { standbys: 1 })
      const profiles = app.table<string, string>('profiles', { standbys: 1 })
      const changes: unknown[] = []
      joinTables(names, emails, { kind: 'left', into: profiles }).onChange((key, value) => changes.push([key, value]))
      app.agent(namesIn, async function keepNames(stream) {
        for await (const event of stream.events()) names.set(event.key as string, event.value as string)
      })
      return { app, namesIn, names, profiles, changes }
    }
    const [a, b] = [member(), member()]
    await a.app.start()
    await b.app.start()
    await waitFor(() => a.names.activePartitions.size === 1 && b.names.activePartitions.size === 1)
    const [active, standby] = a.names.activePartitions.has(0) ? [a, b] : [b, a]
    await a.namesIn.send({ key: 'u1', value: 'Ada', partition: 0 })
    await waitFor(() => active.changes.length === 1 || undefined, 20_000, 'the result on the active worker')
    await active.app.commit()
    const applied = (t: typeof a.names | typeof a.profiles) =>
      t.standbyPartitions.has(0) && t.store(0).get(t.keyBytes('u1')) !== undefined
    await waitFor(
      () => (applied(standby.names) && applied(standby.profiles)) || undefined,
      20_000,
      'the standby has the change and the result',
    )
    expect(active.changes).toEqual([['u1', { left: 'Ada', right: null }]])
    expect(standby.changes).toEqual([])
  }, 60_000)

  it('refuses tables of different partition counts joined on their keys', () => {
    const app = newApp('tt-bad')
    const a = app.table('a', { partitions: 2 })
    const b = app.table('b', { partitions: 3 })
    let code: string | undefined
    try {
      joinTables(a, b)
    } catch (error) {
      code = (error as FaustusError).code
    }
    expect(code).toBe('FST_JOIN_COPARTITION')
  })
})
