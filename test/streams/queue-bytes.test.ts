import { describe, expect, it } from 'vitest'
import { Event, Message } from '../../src/streams/event.ts'
import { EventQueue } from '../../src/streams/queue.ts'

function eventOf(bytes: number, offset: number): Event<null, Buffer> {
  const value = Buffer.alloc(bytes)
  const message = new Message({ topic: 't', partition: 0, offset, timestamp: 0, key: null, value, headers: {} }, null)
  return new Event(null, value, {}, message)
}

describe('EventQueue byte bound', () => {
  it('makes pushers wait once the records it holds reach maxBytes, and lets them go below half of it', async () => {
    const queue = new EventQueue<null, Buffer>({ capacity: 1000, maxBytes: 2048 })
    queue.push(eventOf(1000, 0))
    expect(queue.writable()).toBeUndefined()
    queue.push(eventOf(1000, 1))
    queue.push(eventOf(1000, 2))
    expect(queue.bytes).toBe(3000)
    let writable = false
    const waiting = queue.writable()?.then(() => {
      writable = true
    })
    expect(waiting).toBeDefined()
    queue.shift()
    await Promise.resolve()
    expect(writable).toBe(false)
    queue.shift()
    await waiting
    expect(writable).toBe(true)
    expect(queue.bytes).toBe(1000)
  })

  it('counts nothing for an event handed straight to a waiting puller, and forgets discarded ones', async () => {
    const queue = new EventQueue<null, Buffer>({ maxBytes: 4096 })
    const pulled = queue.pull()
    queue.push(eventOf(500, 0))
    expect((await pulled)?.offset).toBe(0)
    expect(queue.bytes).toBe(0)
    queue.push(eventOf(700, 1))
    queue.push(eventOf(300, 2))
    expect(queue.discard((event) => event.offset === 1)).toBe(1)
    expect(queue.bytes).toBe(300)
    queue.takeAll()
    expect(queue.bytes).toBe(0)
  })
})

describe('EventQueue pause', () => {
  it('a queue closed while paused still hands its buffered events out after resume, then ends', async () => {
    const queue = new EventQueue<null, Buffer>()
    queue.pause()
    queue.push(eventOf(1, 0))
    const first = queue.pull()
    queue.close()
    const second = queue.pull()
    queue.resume()
    expect((await first)?.message?.offset).toBe(0)
    expect(await second).toBeUndefined()
  })
})
