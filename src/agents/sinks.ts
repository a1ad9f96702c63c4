import { forwardTo, type SendTarget } from '../streams/types.ts'

/** Where an agent's yielded values go: a function, an async function, or anything with `send` (topic, channel, agent). */
export type Sink<R> = ((value: R) => unknown) | SendTarget<R, any>

/**
 * Delivers one result to every sink, in order; async sinks are awaited (they slow the actor, as in Faust).
 * Returns undefined when every sink completed synchronously, so plain function sinks cost no promise.
 */
export function deliverToSinks<R>(sinks: readonly Sink<R>[], value: R, from = 0): Promise<void> | undefined {
  for (let i = from; i < sinks.length; i++) {
    const sink = sinks[i]
    const pending = typeof sink === 'function' ? sink(value) : forwardTo(sink, { value })
    if (pending instanceof Promise) return pending.then(() => deliverToSinks(sinks, value, i + 1))
  }
  return undefined
}
