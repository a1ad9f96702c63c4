import { AsyncLocalStorage } from 'node:async_hooks'
import type { Event } from '../streams/event.ts'

/** What code running inside an agent actor can learn about it (Faust's `current_event()` and friends). */
export interface ActorContext {
  readonly agent: string
  /** Number of actors of the agent: tables refuse writes when it is above 1. */
  readonly concurrency: number
  /** The event the actor is processing now (its stream's current event). */
  current(): Event | undefined
}

/**
 * Actor context through AsyncLocalStorage. On Node 22 an AsyncLocalStorage in use slows every promise (about 4x
 * on async iteration, measured), unless Node runs with --experimental-async-context-frame (the default from
 * Node 24). So actors enter the context only when something needs it: apps with tables turn it on.
 */
const storage = new AsyncLocalStorage<ActorContext>()

export function runInActor<T>(context: ActorContext, fn: () => T): T {
  return storage.run(context, fn)
}

/** The context of the actor running the caller, if any. */
export function currentActor(): ActorContext | undefined {
  return storage.getStore()
}

/** The event the calling actor is processing, if any. */
export function currentEvent(): Event | undefined {
  return storage.getStore()?.current()
}
