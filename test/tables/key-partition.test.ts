/**
 * Issue 11, point 10: a key that hashes to another partition than the event's (data from a producer with another
 * partitioner, or a stream not keyed by the table key). Default `keyPartitionCheck: 'warn'`: the update is kept in
 * the event's partition, warned once per topic partition, counted; reads find it. `'strict'` refuses, `'off'`
 * skips the check.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { isFaustusError, type Logger, type Stream } from '../../src/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import { waitFor } from '../helpers.ts'
import { memoryBroker, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

type Line = { level: string; msg: string; fields: Record<string, unknown> }
function recordingLogger(lines: Line[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) =>
    void lines.push(
      typeof obj === 'string'
        ? { level, msg: obj, fields: bindings }
        : { level, msg: msg ?? '', fields: { ...bindings, ...obj } },
    )
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: (more) => recordingLogger(lines, { ...bindings, ...more }),
  }
}

/** Keys placed on a partition other than their murmur2 one, as a crc32 partitioner may put them. */
const PARTITIONS = 4
const misplaced = (key: string) => (partitionForKey(Buffer.from(key), PARTITIONS) + 1) % PARTITIONS

describe('keys on another partition than their hash', () => {
  it("default 'warn': kept in the event's partition, warned once per topic partition, counted, readable", async () => {
    const lines: Line[] = []
    const app = worker('kp', memoryBroker(), { logger: recordingLogger(lines) })
    const input = app.topic('input', { valueType: 'json' })
    const counts = app.table<string, number>('counts', { default: () => 0 })
    const inside: [string, number, number][] = []
    const agent = app.agent(input, async function count(stream: Stream<number, Buffer>) {
      for await (const [key, _] of stream.items()) {
        const word = key.toString()
        counts.update(word, (n) => n + 1)
        inside.push([word, counts.get(word)!, stream.current!.partition!])
      }
    })
    await app.start()
    const words = ['alpha', 'beta', 'gamma', 'delta', 'alpha', 'alpha', 'beta']
    for (const word of words) await input.send({ key: word, value: 1, partition: misplaced(word) })
    await waitFor(() => inside.length === words.length)

    // Every update was kept; inside the agent, on the event's partition, the key reads its running count.
    expect(inside.filter(([w]) => w === 'alpha').map(([, n]) => n)).toEqual([1, 2, 3])
    // Outside, reads find the key (in the partition it was written to), and entries list each once.
    expect(counts.get('alpha')).toBe(3)
    expect(counts.get('beta')).toBe(2)
    expect(Object.fromEntries(counts.entries())).toEqual({ alpha: 3, beta: 2, gamma: 1, delta: 1 })
    expect(counts.stats.keyPartitionMismatches).toBe(words.length)
    expect(agent.supervisorStats.failures).toBe(0)

    // One warning per source partition that had a mismatch, naming the partitions and the fixes.
    const warnings = lines.filter((l) => l.level === 'warn' && l.fields.table === 'counts')
    const partitions = new Set(words.map(misplaced))
    expect(warnings).toHaveLength(partitions.size)
    expect(new Set(warnings.map((w) => w.fields.partition))).toEqual(partitions)
    const alpha = warnings.find((w) => w.fields.key === '"alpha"')!
    expect(alpha.fields.keyPartition).toBe(partitionForKey(Buffer.from('alpha'), PARTITIONS))
    expect(alpha.msg).toMatch(/kept in partition/)
    expect(alpha.msg).toMatch(/murmur2/)
    expect(alpha.msg).toMatch(/groupBy/)
    expect(alpha.msg).toMatch(/crc32/)
  })

  it("'strict' refuses the write (FST_TABLE_WRONG_PARTITION), 'off' keeps it without counting", async () => {
    const app = worker('kp2', memoryBroker())
    const input = app.topic('input', { valueType: 'json' })
    const strict = app.table<string, number>('strict', { default: () => 0, keyPartitionCheck: 'strict' })
    const off = app.table<string, number>('off', { default: () => 0, keyPartitionCheck: 'off' })
    const legacy = app.table<string, number>('legacy', { default: () => 0, checkKeyPartition: true })
    const errors: unknown[] = []
    let done = 0
    app.agent(input, async function both(stream: Stream<number, Buffer>) {
      for await (const [key] of stream.items()) {
        for (const table of [strict, off, legacy]) {
          try {
            table.update(key.toString(), (n) => n + 1)
          } catch (error) {
            errors.push(error)
          }
        }
        done++
      }
    })
    await app.start()
    await input.send({ key: 'alpha', value: 1, partition: misplaced('alpha') })
    await waitFor(() => done === 1)
    expect(errors).toHaveLength(2)
    for (const error of errors) {
      expect(isFaustusError(error, 'FST_TABLE_WRONG_PARTITION')).toBe(true)
      expect((error as Error).message).toMatch(/keyPartitionCheck: 'warn'/)
    }
    expect(strict.get('alpha')).toBe(0)
    expect(off.get('alpha')).toBe(1)
    expect(off.stats.keyPartitionMismatches).toBe(0)
  })

  it('refuses a bad keyPartitionCheck, and a legacy checkKeyPartition contradicting it', () => {
    const app = worker('kp3', memoryBroker())
    expect(() => app.table('a', { keyPartitionCheck: 'loud' as never })).toThrow(
      expect.objectContaining({ code: 'FST_APP_DEFINITION' }),
    )
    expect(() => app.table('b', { keyPartitionCheck: 'warn', checkKeyPartition: true })).toThrow(
      /contradicts keyPartitionCheck/,
    )
    expect(app.table('c', { checkKeyPartition: false }).keyPartitionCheck).toBe('off')
    expect(app.table('d').keyPartitionCheck).toBe('warn')
  })
})
