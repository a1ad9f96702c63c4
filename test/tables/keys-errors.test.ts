/**
 * Keys a table's key type cannot hold are refused with FST_TABLE_KEY before anything is written (store or
 * changelog), and the agent goes on with the next event.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { isFaustusError, record, type Stream, str } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { lmdbDir, memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

const Account = record('test.keys.Account', { id: str() })

describe('table keys that cannot be encoded', () => {
  it('each key type refuses what it cannot hold, naming the table and the reason', async () => {
    const app = worker('kerr', memoryBroker())
    const json = app.table('json', { partitions: 1 })
    const raw = app.table('raw', { keyType: 'raw', partitions: 1 })
    const accounts = app.table('accounts', { keyType: Account, partitions: 1 })
    const sets = app.setTable('sets', { partitions: 1 })
    const windowed = app.table('w', { partitions: 1 }).tumbling(1000)
    await app.start()
    const at = { partition: 0 }
    const cases: [string, () => unknown, RegExp][] = [
      ['json: non-UTF-8 bytes', () => json.set(Buffer.from([0xff, 0xfe]), 1, at), /not UTF-8 text.*keyType "raw"/],
      ['json: null', () => json.set(null, 1, at), /cannot be null/],
      ['json: undefined', () => json.get(undefined), /cannot be null/],
      ['raw: a number', () => raw.set(7, 1, at), /keyType "raw" holds Buffers and strings/],
      ['record: a string', () => accounts.set('alice' as never, 1, at), /record test\.keys\.Account/],
      ['record: bad bytes', () => accounts.get(Buffer.from('nope') as never), /not a test\.keys\.Account key/],
      ['record: wrong fields', () => accounts.set({ id: 3 } as never, 1, at), /not a test\.keys\.Account key/],
      ['set: non-UTF-8 bytes', () => sets.add(Buffer.from([0xc3]), 'm', at), /not UTF-8 text/],
      ['windowed: non-UTF-8 bytes', () => windowed.set(Buffer.from([0x80]), 1, at), /not UTF-8 text/],
    ]
    for (const [name, call, message] of cases) {
      let caught: unknown
      try {
        call()
      } catch (error) {
        caught = error
      }
      expect(isFaustusError(caught, 'FST_TABLE_KEY'), name).toBe(true)
      expect((caught as Error).message, name).toMatch(message)
    }
    // Nothing was written anywhere.
    for (const table of [json, raw, accounts, sets, windowed.table]) {
      expect(table.stats.written).toBe(0)
      expect(table.size).toBe(0)
    }
    // What each key type does hold.
    raw.set(Buffer.from([0xff, 0x00]), 1, at)
    raw.set('text', 2, at)
    expect(raw.get(Buffer.from('text'))).toBe(2)
    expect([...raw.keys()]).toEqual([Buffer.from([0xff, 0x00]), Buffer.from('text')])
    accounts.set(Buffer.from('{"id":"a"}') as never, 1, at)
    expect(accounts.get({ id: 'a' } as never)).toBe(1)
  })

  it('an LMDB store refuses a key over its size limit when written, not at the checkpoint; the agent goes on', async () => {
    const app = worker('kbig', memoryBroker(), { store: `lmdb://${lmdbDir()}`, brokerCommitIntervalMs: 3_600_000 })
    const input = app.topic('input', { valueType: 'json', partitions: 1 })
    const counts = app.table<string, number>('counts', { default: () => 0, partitions: 1 })
    const errors: unknown[] = []
    let processed = 0
    app.agent(input, async function count(stream: Stream<string>) {
      for await (const word of stream) {
        try {
          counts.update(word, (n) => n + 1)
        } catch (error) {
          errors.push(error)
        }
        processed++
      }
    })
    await app.start()
    await input.send({ value: 'small' })
    await input.send({ value: 'x'.repeat(3000) })
    await input.send({ value: 'small' })
    await waitFor(() => processed === 3)
    expect(errors).toHaveLength(1)
    expect(isFaustusError(errors[0], 'FST_TABLE_KEY')).toBe(true)
    expect((errors[0] as Error).message).toMatch(/3002 bytes is over LMDB's limit of 1978/)
    // The checkpoint goes through; only the good key reached the changelog (its two updates as one, cached).
    await app.commit()
    expect(app.running).toBe(true)
    const changelog = await readTopic(app, 'kbig-counts-changelog', 1)
    expect(changelog.map((r) => [r.key, r.value])).toEqual([['"small"', '2']])
  })

  it('a Buffer value is refused by JSON and record value types (not stored unencoded), kept by raw ones', async () => {
    const app = worker('verr', memoryBroker())
    const json = app.table('json', { partitions: 1 })
    const accounts = app.table('accounts', { valueType: Account, partitions: 1 })
    const raw = app.table('raw', { valueType: 'raw', partitions: 1 })
    const binary = app.table('binary', { valueType: 'binary', partitions: 1 })
    await app.start()
    const at = { partition: 0 }
    for (const [table, message] of [
      [json, /cannot be stored as JSON.*valueType 'raw'/],
      [accounts, /cannot be stored as a record/],
    ] as const) {
      expect(() => table.set('k', Buffer.from('{"id":"a"}') as never, at)).toThrow(
        expect.objectContaining({ code: 'FST_TABLE_VALUE', message: expect.stringMatching(message) }),
      )
      expect(table.size).toBe(0)
    }
    raw.set('k', Buffer.from([0, 255]), at)
    expect(raw.get('k')).toEqual(Buffer.from([0, 255]))
    binary.set('k', Buffer.from([0, 255]), at)
    expect([...binary.entries()]).toEqual([['k', Buffer.from([0, 255])]])
  })
})
