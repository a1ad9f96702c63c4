import { describe, expect, it } from 'vitest'
import { Channel } from '../../src/channels/channel.ts'
import { Event, Message } from '../../src/streams/event.ts'
import { EventQueue } from '../../src/streams/queue.ts'
import { Stream } from '../../src/streams/stream.ts'
import { waitFor } from '../helpers.ts'

function queueOf<V>(values: V[], acked: number[] = []): EventQueue<unknown, V> {
  const queue = new EventQueue<unknown, V>()
  values.forEach((value, offset) => {
    const message = new Message(
      { topic: 't', partition: 0, offset, timestamp: 1000 + offset, key: null, value: null, headers: {} },
      { acked: (m) => acked.push(m.offset) },
    )
    message.refs = 1
    queue.push(new Event(`k${offset}`, value, {}, message))
    message.release()
  })
  queue.close()
  return queue
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of iterable) out.push(item)
  return out
}

describe('Stream', () => {
  it('yields values and acks each event when the loop moves past it', async () => {
    const acked: number[] = []
    const stream = new Stream(queueOf([1, 2, 3], acked))
    const seen: number[] = []
    for await (const value of stream) {
      seen.push(value)
      // The current event is not acked while it is being processed.
      expect(acked).not.toContain(stream.current!.offset)
      expect(stream.current!.key).toBe(`k${value - 1}`)
    }
    expect(seen).toEqual([1, 2, 3])
    expect(acked).toEqual([0, 1, 2])
  })

  it('acks the current event when the loop breaks', async () => {
    const acked: number[] = []
    for await (const value of new Stream(queueOf([1, 2, 3], acked))) if (value === 2) break
    expect(acked).toEqual([0, 1])
  })

  it('filter acks dropped events; map keeps key and ack', async () => {
    const acked: number[] = []
    const stream = new Stream(queueOf([1, 2, 3, 4], acked))
    const out = await collect(stream.filter((v) => v % 2 === 0).map(async (v) => v * 10))
    expect(out).toEqual([20, 40])
    expect(acked.sort()).toEqual([0, 1, 2, 3])
  })

  it('items, events and enumerate expose keys, metadata and indexes', async () => {
    expect(await collect(new Stream(queueOf(['a', 'b'])).items())).toEqual([
      ['k0', 'a'],
      ['k1', 'b'],
    ])
    const events = await collect(new Stream(queueOf(['a'])).events())
    expect(events[0]).toMatchObject({ key: 'k0', value: 'a', topic: 't', partition: 0, offset: 0, timestamp: 1000 })
    expect(await collect(new Stream(queueOf(['a', 'b'])).enumerate(1))).toEqual([
      [1, 'a'],
      [2, 'b'],
    ])
  })

  it('noack leaves acking to the caller', async () => {
    const acked: number[] = []
    const stream = new Stream(queueOf([1, 2], acked)).noack()
    const events = await collect(stream.events())
    expect(acked).toEqual([])
    stream.ack(events[1])
    stream.ack(events[0])
    expect(acked.sort()).toEqual([0, 1])
  })

  it('take batches up to n values, or fewer after `within`', async () => {
    expect(await collect(new Stream(queueOf([1, 2, 3, 4, 5])).take(2))).toEqual([[1, 2], [3, 4], [5]])
    const channel = new Channel<number>()
    const stream = channel.stream()
    const batches: number[][] = []
    const reading = (async () => {
      for await (const batch of stream.take(10, { within: 50 })) {
        batches.push(batch)
        if (batches.length === 2) break
      }
    })()
    await channel.send({ value: 1 })
    await channel.send({ value: 2 })
    await waitFor(() => batches.length === 1, 5_000, 'the first batch, cut by its time limit')
    await channel.send({ value: 3 })
    await reading
    expect(batches).toEqual([[1, 2], [3]])
  })

  it('echo forwards every value to other channels and passes it on', async () => {
    const copy = new Channel<number>()
    const copies = copy.queue()
    const out = await collect(new Stream(queueOf([1, 2])).echo(copy))
    expect(out).toEqual([1, 2])
    expect([(await copies.pull())!.value, (await copies.pull())!.value]).toEqual([1, 2])
  })

  it('through continues from the channel it forwards to', async () => {
    const middle = new Channel<number>({ name: 'middle' })
    const stream = new Stream(queueOf([1, 2, 3])).through(middle)
    const out: number[] = []
    for await (const value of stream) {
      out.push(value)
      if (out.length === 3) break
    }
    expect(out).toEqual([1, 2, 3])
  })

  it('merge interleaves streams and ends when all end', async () => {
    const out = await collect(new Stream(queueOf([1, 2])).merge(new Stream(queueOf([10, 20]))))
    expect(out.sort((a, b) => a - b)).toEqual([1, 2, 10, 20])
  })

  it('an in-process channel delivers to every stream', async () => {
    const channel = new Channel<string>()
    const a = channel.queue()
    const b = channel.queue()
    await channel.send({ value: 'x', key: 'k', headers: { h: 'v' } })
    const [ea, eb] = [await a.pull(), await b.pull()]
    expect(ea!.value).toBe('x')
    expect(eb!.headers.h.toString()).toBe('v')
  })
})
