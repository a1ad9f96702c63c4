// Each join kind on a real broker, with state in LMDB: stream–table (left), windowed stream–stream (outer) and
// table–table (inner, into a result table). The unit tests (memory transport) cover the semantics in detail.
import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, inject, it } from 'vitest'
import { App, joinTables, type Stream } from '../../src/index.ts'
import { openTransport, waitFor } from '../helpers.ts'

it('stream–table, stream–stream and table–table joins on Kafka with LMDB state', async () => {
  const run = randomUUID().slice(0, 8)
  const app = new App(`joins-kinds-${run}`, {
    broker: `kafka://${inject('kafkaBootstrap')}`,
    logLevel: 'warn',
    topicPartitions: 3,
    store: `lmdb://${mkdtempSync(join(tmpdir(), 'faustus-joins-'))}`,
  })
  const users = app.topic(`users-${run}`, { keyType: 'json', valueType: 'json' })
  const clicks = app.topic(`clicks-${run}`, { keyType: 'json', valueType: 'json' })
  const views = app.topic(`views-${run}`, { keyType: 'json', valueType: 'json' })
  const names = app.table<string, string>('names')
  const emails = app.table<string, string>('emails')
  const profiles = app.table<string, string>('profiles')
  joinTables(names, emails, { into: profiles, joiner: (name, email) => `${name} <${email}>` })
  const enriched: string[] = []
  const pairs: string[] = []
  app.agent(users, async function keepUsers(stream: Stream<{ name?: string; email?: string }, string>) {
    for await (const event of stream.events()) {
      if (event.value.name !== undefined) names.set(event.key, event.value.name)
      if (event.value.email !== undefined) emails.set(event.key, event.value.email)
    }
  })
  app.task(async function enrich() {
    const joined = (clicks.stream() as Stream<string, string>).leftJoinTable(names, {
      joiner: (page, name) => `${name ?? '?'}:${page}`,
    })
    for await (const value of joined) enriched.push(value)
  })
  app.task(async function pair() {
    const joined = (clicks.stream() as Stream<string, string>).outerJoin(views.stream() as Stream<string, string>, {
      name: 'clicks-views',
      within: 1000,
      joiner: (click, view, key) => `${key}:${click ?? '-'}+${view ?? '-'}`,
    })
    for await (const value of joined) pairs.push(value)
  })
  await app.start()
  const transport = await openTransport(app)
  const producer = transport.createProducer()
  try {
    const send = (topic: string, key: string, value: unknown, timestamp: number) =>
      producer.send([
        { topic, key: Buffer.from(JSON.stringify(key)), value: Buffer.from(JSON.stringify(value)), timestamp },
      ])
    const t = 1_700_000_000_000
    await send(users.name, 'u1', { name: 'Ada' }, t)
    await send(users.name, 'u1', { email: 'ada@example.com' }, t)
    await send(users.name, 'u2', { name: 'Bob' }, t)
    await waitFor(() => profiles.get('u1') !== undefined && names.get('u2') !== undefined, 120_000, 'the tables', {
      intervalMs: 50,
    })
    expect(profiles.get('u1')).toBe('Ada <ada@example.com>')
    expect(profiles.get('u2')).toBeUndefined()
    await send(clicks.name, 'u1', '/home', t + 100)
    await send(views.name, 'u1', '/home', t + 500)
    await send(clicks.name, 'u3', '/about', t + 100)
    await waitFor(() => enriched.length === 2, 120_000, 'the enriched clicks', { intervalMs: 50 })
    expect(enriched.sort()).toEqual(['?:/about', 'Ada:/home'])
    await waitFor(() => pairs.length === 1, 120_000, 'the pair', { intervalMs: 50 })
    // Stream time past u3's window in its partition: its click comes out unmatched, once.
    for (let p = 0; p < 3; p++) {
      await producer.send([
        {
          topic: views.name,
          partition: p,
          key: Buffer.from('"end"'),
          value: Buffer.from('"x"'),
          timestamp: t + 60_000,
        },
      ])
    }
    await waitFor(() => pairs.includes('u3:/about+-'), 120_000, 'the unmatched click', { intervalMs: 50 })
    expect(pairs.filter((p) => !p.startsWith('end')).sort()).toEqual(['u1:/home+/home', 'u3:/about+-'])
  } finally {
    await producer.close()
    await transport.close()
    await app.stop()
  }
}, 300_000)
