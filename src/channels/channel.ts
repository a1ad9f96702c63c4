import { Event } from '../streams/event.ts'
import { EventQueue } from '../streams/queue.ts'
import { Stream, type StreamOptions } from '../streams/stream.ts'
import type { SendMessage, StreamChannel } from '../streams/types.ts'

let channelCounter = 0

/**
 * An in-process channel: `send` puts values straight into the queues of the streams reading it, with no transport
 * and no serialization. Every stream gets every value; actors of one agent share one queue.
 */
export class Channel<V = unknown, K = unknown> implements StreamChannel<V, K> {
  readonly name: string
  readonly #queues = new Set<EventQueue<K, V>>()
  readonly #capacity: number | undefined

  constructor(options: { name?: string; maxsize?: number } = {}) {
    this.name = options.name ?? `channel-${++channelCounter}`
    this.#capacity = options.maxsize
  }

  /** A new queue receiving every value sent from now on. */
  queue(): EventQueue<K, V> {
    const queue = new EventQueue<K, V>({ capacity: this.#capacity })
    this.#queues.add(queue)
    return queue
  }

  stream(options: StreamOptions = {}): Stream<V, K> {
    return new Stream(this.queue(), { channelName: this.name, ...options })
  }

  async send(message: SendMessage<K, V>): Promise<void> {
    const headers: Record<string, Buffer> = {}
    for (const [name, value] of Object.entries(message.headers ?? {})) {
      headers[name] = typeof value === 'string' ? Buffer.from(value) : value
    }
    for (const queue of this.#queues) {
      if (queue.closed) {
        this.#queues.delete(queue)
        continue
      }
      await queue.writable()
      queue.push(new Event(message.key as K, message.value, headers, null, message.request ?? null))
    }
  }

  close(): void {
    for (const queue of this.#queues) queue.close()
    this.#queues.clear()
  }
}
