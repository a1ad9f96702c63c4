import type { SendTarget } from '../streams/types.ts'

/** Where an agent's yielded values go: a function, an async function, or anything with `send` (topic, channel, agent). */
export type Sink<R> = ((value: R) => unknown) | SendTarget<R, any>

/** Delivers one result to every sink, in order; async sinks are awaited (they slow the actor, as in Faust). */
export async function deliverToSinks<R>(sinks: readonly Sink<R>[], value: R): Promise<void> {
  for (const sink of sinks) {
    if (typeof sink === 'function') await sink(value)
    else await sink.send({ value })
  }
}
