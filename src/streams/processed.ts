import type { Event } from './event.ts'
import { type Derived, fanOut } from './fan-out.ts'
import { EventQueue, type EventSource } from './queue.ts'
import { FailableSource } from './sources.ts'

/**
 * One source made of several: every event of every input goes, one at a time, through `process` (synchronous, so
 * state it keeps, such as a join's stores, sees events strictly one after the other), and its results (none, one or
 * many) are what the source hands out. An input is acked once all its results are (see `fanOut`). A `process` that
 * throws fails the reads, with that event as the one being processed (the agent's error policy sees it).
 */
export function processedSource<K, V>(
  inputs: readonly EventSource<any, any>[],
  process: (input: number, event: Event<any, any>) => readonly Derived<K, V>[],
  onStart?: () => void,
): EventSource<K, V> {
  const queue = new EventQueue<K, V>()
  const reader = new FailableSource<K, V>(queue)
  let open = inputs.length
  let started = false
  const pump = async (input: EventSource<any, any>, index: number) => {
    let event: Event<any, any> | undefined
    try {
      for (;;) {
        event = await input.pull()
        if (event === undefined) break
        const results = process(index, event)
        await queue.writable()
        for (const result of fanOut(event, results)) queue.push(result)
        event = undefined
      }
    } catch (error) {
      reader.fail(error, event as Event<K, V> | undefined)
      return
    }
    if (--open === 0) queue.close()
  }
  return {
    pull() {
      if (!started) {
        started = true
        try {
          onStart?.()
        } catch (error) {
          reader.fail(error)
        }
        inputs.forEach((input, index) => void pump(input, index))
      }
      return reader.pull()
    },
  }
}
