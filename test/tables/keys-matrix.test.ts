/**
 * Issue 11, point 1: a table keeps the same key whatever form it arrived in. Every table kind x every key source
 * (a raw topic's Buffer key, a string, a number, JSON, a record): get inside the agent and outside it (with each
 * form of the key), entries, the changelog bytes (equal to what Python Faust writes: vectors/table-keys.json, made
 * by test/interop/py/table_keys.py and re-checked against faust-streaming by test/interop/table-keys.test.ts),
 * recovery into a new app (a fresh store: the whole changelog), and a restart on the same LMDB store (no replay).
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type App, record, type Stream, str, type Topic } from '../../src/index.ts'
import type { SetTable, Table, WindowedTable } from '../../src/tables/index.ts'
import { waitFor } from '../helpers.ts'
import { ROOT } from '../interop/python.ts'
import { lmdbDir, memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

interface KeyVector {
  name: string
  table: string
  windowed: string[]
  set_add: string
}
const VECTORS = JSON.parse(readFileSync(join(ROOT, 'test/interop/vectors/table-keys.json'), 'utf8'))
const vector = (name: string): KeyVector => {
  const found = (VECTORS.keys as KeyVector[]).find((v) => v.name === name)
  if (found === undefined) throw new Error(`no vector ${name}`)
  return found
}
/** The event time of every event: inside one 60 s window, as the vectors' `event_time_s`. */
const EVENT_TIME = VECTORS.event_time_s * 1000

const UserKey = record('interop.UserKey', { id: str() })

interface Source {
  /** Topic key type (undefined: Faust's default raw keys, so the agent gets Buffers). */
  topicKeyType?: string | object
  tableKeyType?: string | object
  /** The two keys sent (3 events for the first, 1 for the second) and their vectors. */
  sent: [unknown, unknown]
  vectors: [string, string]
  /** What the agent gives the table, from the message key. */
  toTableKey(key: unknown): unknown
  /** Forms of the first key that must all find it outside the agent. */
  lookups: unknown[]
  /** What entries() yields for the two keys. */
  decoded: [unknown, unknown]
}

const SOURCES: Record<string, Source> = {
  'raw topic key (Buffer)': {
    sent: ['zoë ü 😀', 'alice'],
    vectors: ['unicode', 'alice'],
    toTableKey: (key) => {
      if (!Buffer.isBuffer(key)) throw new Error('expected a Buffer key from a raw topic')
      return key
    },
    lookups: ['zoë ü 😀', Buffer.from('zoë ü 😀')],
    decoded: ['zoë ü 😀', 'alice'],
  },
  string: {
    sent: ['alice', 'bob'],
    vectors: ['alice', 'bob'],
    toTableKey: (key) => (key as Buffer).toString('utf8'),
    lookups: ['alice', Buffer.from('alice')],
    decoded: ['alice', 'bob'],
  },
  number: {
    topicKeyType: 'json',
    sent: [7, 123456789012],
    vectors: ['number', 'number-big'],
    toTableKey: (key) => key,
    lookups: [7],
    decoded: [7, 123456789012],
  },
  JSON: {
    topicKeyType: 'json',
    sent: [
      { id: 'alice', n: 2 },
      { id: 'bob', tags: ['x', 'é'] },
    ],
    vectors: ['json', 'json-b'],
    toTableKey: (key) => key,
    lookups: [{ id: 'alice', n: 2 }],
    decoded: [
      { id: 'alice', n: 2 },
      { id: 'bob', tags: ['x', 'é'] },
    ],
  },
  record: {
    topicKeyType: UserKey,
    tableKeyType: UserKey,
    sent: [new UserKey({ id: 'alice' }), new UserKey({ id: 'bob' })],
    vectors: ['record', 'record-b'],
    toTableKey: (key) => {
      if (!(key instanceof UserKey)) throw new Error('expected a record key')
      return key
    },
    lookups: [new UserKey({ id: 'alice' }), { id: 'alice' }],
    decoded: [new UserKey({ id: 'alice' }), new UserKey({ id: 'bob' })],
  },
}

type Kind = 'table' | 'global' | 'set' | 'set-global' | 'windowed'
const KINDS: Kind[] = ['table', 'global', 'set', 'set-global', 'windowed']

/** The first key gets 3 events, the second 1. Counting tables count; set tables collect the event values. */
const EVENTS: [0 | 1, string][] = [
  [0, 'x'],
  [1, 'z'],
  [0, 'y'],
  [0, 'x'],
]
const EXPECTED_COUNTS: [number, number] = [3, 1]
const EXPECTED_SETS: [string[], string[]] = [['x', 'y'], ['z']]

interface Worker {
  app: App
  /** Reads of the key inside the agent, right after each write. */
  inside: unknown[]
  /** The value of a key as this kind reads it (count, or sorted members), outside the agent. */
  read(key: unknown): unknown
  /** Every entry, decoded: [key, count or sorted members]. */
  entries(): [unknown, unknown][]
  changelog: string
  corrupt(): number
}

function makeWorker(kind: Kind, source: Source, broker: string, store: string): Worker {
  // Checkpoints on stop only: a table's changelog then holds each key once (the table cache).
  const app = worker('keys', broker, { store, brokerCommitIntervalMs: 3_600_000 })
  const input = app.topic('input', { keyType: source.topicKeyType, valueType: 'json' } as never) as unknown as Topic<
    string,
    unknown
  >
  const options = { keyType: source.tableKeyType, standbys: 0 }
  const inside: unknown[] = []
  let w: Worker
  if (kind === 'table' || kind === 'global') {
    const table: Table<unknown, number> =
      kind === 'table'
        ? app.table('counts', { ...options, default: () => 0 })
        : app.globalTable('counts', { ...options, default: () => 0 })
    app.agent(input, async function count(stream: Stream<string, unknown>) {
      for await (const [key, _] of stream.items()) {
        const k = source.toTableKey(key)
        table.update(k, (n) => n + 1)
        inside.push(table.get(k))
      }
    })
    w = {
      app,
      inside,
      read: (key) => table.get(key),
      entries: () => [...table.entries()],
      changelog: table.changelogTopic,
      corrupt: () => table.stats.corrupt,
    }
  } else if (kind === 'set' || kind === 'set-global') {
    const table: SetTable<unknown, string> =
      kind === 'set' ? app.setTable('sets', options) : app.setGlobalTable('sets', options)
    app.agent(input, async function collect(stream: Stream<string, unknown>) {
      for await (const [key, member] of stream.items()) {
        const k = source.toTableKey(key)
        table.add(k, member)
        inside.push([...table.get(k)].sort())
      }
    })
    w = {
      app,
      inside,
      read: (key) => [...table.get(key)].sort(),
      entries: () => [...table.entries()].map(([k, members]) => [k, [...members].sort()]),
      changelog: table.changelogTopic,
      corrupt: () => table.stats.corrupt,
    }
  } else {
    const windowed: WindowedTable<unknown, number> = app
      .table<unknown, number>('views', { ...options, default: () => 0 })
      .tumbling(60_000)
    const range = windowed.window.current(EVENT_TIME)
    app.agent(input, async function view(stream: Stream<string, unknown>) {
      for await (const [key, _] of stream.items()) {
        const k = source.toTableKey(key)
        windowed.update(k, (n) => n + 1)
        inside.push(windowed.get(k).current())
      }
    })
    w = {
      app,
      inside,
      read: (key) => windowed.valueAt(key, range),
      entries: () =>
        [...windowed.windows()].map(([k, r, v]) => {
          expect(r.key).toEqual(range.key)
          return [k, v]
        }),
      changelog: windowed.table.changelogTopic,
      corrupt: () => windowed.table.stats.corrupt,
    }
  }
  return w
}

function expectedValue(kind: Kind, i: 0 | 1): unknown {
  return kind === 'set' || kind === 'set-global' ? EXPECTED_SETS[i] : EXPECTED_COUNTS[i]
}

function expectedChangelogKey(kind: Kind, name: string): string {
  const v = vector(name)
  if (kind === 'set' || kind === 'set-global') return v.set_add
  if (kind === 'windowed') return v.windowed[0]
  return v.table
}

const sortEntries = (entries: [unknown, unknown][]) =>
  [...entries].sort((a, b) => JSON.stringify(a[0]).localeCompare(JSON.stringify(b[0])))

function expectContents(w: Worker, kind: Kind, source: Source): void {
  for (const lookup of source.lookups) expect(w.read(lookup)).toEqual(expectedValue(kind, 0))
  expect(sortEntries(w.entries())).toEqual(
    sortEntries([
      [source.decoded[0], expectedValue(kind, 0)],
      [source.decoded[1], expectedValue(kind, 1)],
    ]),
  )
  const first = w.entries().find(([k]) => JSON.stringify(k) === JSON.stringify(source.decoded[0]))!
  if (source.decoded[0] instanceof UserKey) expect(first[0]).toBeInstanceOf(UserKey)
  expect(w.corrupt()).toBe(0)
}

describe('table keys: every kind x every key source', () => {
  for (const kind of KINDS) {
    for (const [sourceName, source] of Object.entries(SOURCES)) {
      it(`${kind} keyed by ${sourceName}`, async () => {
        const broker = memoryBroker('keys')
        const first = makeWorker(kind, source, broker, `lmdb://${lmdbDir()}`)
        await first.app.start()
        const input = first.app.topics.get('input')!
        for (const [i, value] of EVENTS) {
          await input.send({ key: source.sent[i], value, timestamp: EVENT_TIME })
        }
        await waitFor(() => first.inside.length === EVENTS.length, 10_000, 'events processed')

        // Inside the agent, each read after a write saw it.
        const insideFirst = first.inside.filter((_, n) => EVENTS[n][0] === 0)
        expect(insideFirst.at(-1)).toEqual(expectedValue(kind, 0))
        // Outside the agent, with every form of the key; entries decode.
        expectContents(first, kind, source)
        await first.app.stop()

        // A new app with a fresh store recovers the whole changelog.
        const dir = lmdbDir()
        const second = makeWorker(kind, source, broker, `lmdb://${dir}`)
        await second.app.start()
        const records = kind === 'table' || kind === 'global' ? 2 : EVENTS.length
        expect(second.app.lastRecovery.records).toBe(records)
        expectContents(second, kind, source)

        // The changelog holds Python Faust's bytes for these keys.
        const changelog = await readTopic(second.app, second.changelog, 4)
        expect(changelog).toHaveLength(records)
        const keys = new Set(changelog.map((r) => Buffer.from(r.key!, 'utf8').toString('latin1')))
        expect(keys).toEqual(
          new Set([expectedChangelogKey(kind, source.vectors[0]), expectedChangelogKey(kind, source.vectors[1])]),
        )
        await second.app.stop()

        // Restarted on the same LMDB store: nothing to replay, the same contents.
        const third = makeWorker(kind, source, broker, `lmdb://${dir}`)
        await third.app.start()
        expect(third.app.lastRecovery.records).toBe(0)
        expectContents(third, kind, source)
      })
    }
  }
})
