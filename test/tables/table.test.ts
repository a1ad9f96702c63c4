import { afterEach, describe, expect, it } from 'vitest'
import { int, isFaustusError, record, type Stream, str } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

describe('tables', () => {
  it('counts words through an agent after groupBy, writing the changelog at the event partition', async () => {
    // Checkpoints on demand only: the changes made before one are coalesced in the table cache.
    const app = worker('wc', memoryBroker(), { brokerCommitIntervalMs: 3_600_000 })
    const words = app.topic('words', { valueType: 'json' })
    const counts = app.table<string, number>('counts', { default: () => 0 })
    app.agent(words, async function count(stream: Stream<string>) {
      for await (const word of stream.groupBy((w) => w, { name: 'word' })) counts.update(word, (n) => n + 1)
    })
    await app.start()
    const sent = ['a', 'b', 'a', 'c', 'a', 'b']
    for (const w of sent) await words.send({ value: w })
    await waitFor(() => counts.get('a') === 3 && counts.get('b') === 2 && counts.get('c') === 1)
    expect(counts.size).toBe(3)
    expect(Object.fromEntries(counts.entries())).toEqual({ a: 3, b: 2, c: 1 })
    expect(counts.has('z')).toBe(false)
    expect(counts.get('z')).toBe(0)
    await app.commit()
    const changelog = await readTopic(app, 'wc-counts-changelog', 4)
    // One record per key, with its count (keys and values are JSON).
    expect(changelog).toHaveLength(3)
    const last = new Map(changelog.map((r) => [r.key, r.value]))
    expect(last).toEqual(
      new Map([
        ['"a"', '3'],
        ['"b"', '2'],
        ['"c"', '1'],
      ]),
    )
    expect(app.topics.get('wc-counts-changelog')!.specs()[0].config).toEqual({ 'cleanup.policy': 'compact' })
  })

  it('validates values with the value type (FST_TABLE_VALUE)', async () => {
    const Total = record('test.tables.Total', { name: str(), amount: int() })
    const app = worker('val', memoryBroker())
    const input = app.topic('in', { valueType: 'json', partitions: 1 })
    const totals = app.table<string, InstanceType<typeof Total>>('totals', { valueType: Total, partitions: 1 })
    const errors: unknown[] = []
    app.agent(input, async function write(stream: Stream<{ ok: boolean }>) {
      for await (const value of stream) {
        try {
          totals.set('k', (value.ok ? { name: 'x', amount: 1 } : { name: 'x', amount: 'many' }) as never)
        } catch (error) {
          errors.push(error)
        }
      }
    })
    await app.start()
    await input.send({ value: { ok: true } })
    await input.send({ value: { ok: false } })
    await waitFor(() => errors.length === 1)
    expect(isFaustusError(errors[0], 'FST_TABLE_VALUE')).toBe(true)
    expect(totals.get('k')).toBeInstanceOf(Total)
    expect(totals.get('k')!.amount).toBe(1)
  })

  it('refuses writes from a stream not keyed by the table key (strict), from concurrent agents, and outside agents', async () => {
    const app = worker('guard', memoryBroker())
    const input = app.topic('in', { valueType: 'json' })
    const other = app.topic('other', { valueType: 'json' })
    const table = app.table<string, number>('t', { default: () => 0, keyPartitionCheck: 'strict' })
    const errors: unknown[] = []
    app.agent(input, async function unkeyed(stream: Stream<string>) {
      for await (const word of stream) {
        try {
          table.update(word, (n) => n + 1)
        } catch (error) {
          errors.push(error)
        }
      }
    })
    app.agent(
      other,
      async function concurrent(stream: Stream<string>) {
        for await (const word of stream) {
          try {
            table.set(word, 1)
          } catch (error) {
            errors.push(error)
          }
        }
      },
      { concurrency: 2 },
    )
    await app.start()
    // Key "k" sent with key "other-key": the key of the table hashes elsewhere (most likely) or no key at all.
    for (let i = 0; i < 8; i++) await input.send({ value: `word-${i}` })
    await other.send({ value: 'x', key: 'x' })
    await waitFor(() => errors.length >= 8)
    const codes = errors.map((e) => (e as { code: string }).code)
    expect(codes).toContain('FST_TABLE_WRONG_PARTITION')
    expect(codes).toContain('FST_AGENT_CONCURRENT_WRITE')
    expect((errors.find((e) => (e as { code: string }).code === 'FST_TABLE_WRONG_PARTITION') as Error).message).toMatch(
      /groupBy/,
    )
    expect(() => table.set('a', 1)).toThrow(expect.objectContaining({ code: 'FST_TABLE_OUTSIDE_AGENT' }))
    // An explicit partition this worker owns is fine outside agents.
    table.set('a', 5, { partition: 0 })
    expect(table.get('a')).toBe(5)
  })
})
