import { Event, Message, type MessageAcker } from './event.ts'

/** What one input event gives a join: results, each with its key, value and timestamp. */
export interface Derived<K, V> {
  key: K
  value: V
  timestamp: number
}

/** Acks `origin` once every result derived from it has been acked. */
class SharedAck implements MessageAcker {
  #left: number
  readonly #origin: Event<any, any>
  constructor(count: number, origin: Event<any, any>) {
    this.#left = count
    this.#origin = origin
  }
  acked(): void {
    if (--this.#left === 0) this.#origin.ack()
  }
}

/**
 * Events for the results of one input event (a join may give none, one or many). Each result is acked on its own
 * (its reader moves past it), and the input event only once all are: so no offset is committed past an input whose
 * results were not all processed. Each result carries its own timestamp (a join result's is the later of its two
 * sides'). Without results the input is acked at once.
 */
export function fanOut<K, V>(origin: Event<any, any>, results: readonly Derived<K, V>[]): Event<K, V>[] {
  if (results.length === 0) {
    origin.ack()
    return []
  }
  const source = origin.message
  const acker = source === null ? null : new SharedAck(results.length, origin)
  const events = results.map((result) => {
    if (source === null || acker === null) return new Event<K, V>(result.key, result.value, origin.headers, null)
    const record = {
      topic: source.topic,
      partition: source.partition,
      offset: source.offset,
      timestamp: result.timestamp,
      key: null,
      value: null,
      headers: origin.headers,
    }
    const message = new Message(record, acker)
    return new Event<K, V>(result.key, result.value, origin.headers, message, origin.replyTo)
  })
  // A channel's event (no message) has nothing to commit: acked now, its results carry no ack.
  if (source === null) origin.ack()
  return events
}
