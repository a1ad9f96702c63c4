import { AsyncLocalStorage } from 'node:async_hooks'
import type { Event } from '../streams/event.ts'

/** What code running inside an agent actor can learn about it (Faust's `current_event()` and friends). */
export interface ActorContext {
  readonly agent: string
  /** Number of actors of the agent: tables refuse writes when it is above 1. */
  readonly concurrency: number
  /** The event the actor is processing now (its stream's current event). */
  current(): Event | undefined
  /** The agent's error policy for a refused output of `event` (absent outside agents). */
  refused?(error: unknown, event: Event): Promise<void>
}

/**
 * Actor context through AsyncLocalStorage. Every actor runs in one: tables read the event being processed, and an
 * output sent from an agent's body finds its input event (for the error policy). Node ≥ 24 keeps async context in
 * frames, so this costs nothing measurable per event (Node 22 paid about 4x on async iteration; we require 24).
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

/** The error policy for a refused output of `event`: an agent's `onError`, or an actor context's `refused`. */
export type RefusedHandler = (error: unknown, event: Event) => Promise<void>

/**
 * Where an output sent now came from: the input event an agent was processing, and the error policy for a refusal
 * of the output. Set by an agent around the synchronous part of delivering a result (sinks and replies hand their
 * records to the outputs synchronously), read by the app's output path; two fields rather than an object per result,
 * so a result costs no allocation. Outputs sent after an await of an async sink have no origin (a refusal then stops
 * the app).
 */
export const emitting: { event: Event | undefined; refused: RefusedHandler | undefined } = {
  event: undefined,
  refused: undefined,
}
