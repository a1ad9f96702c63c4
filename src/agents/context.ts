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

/** Where an output came from: the input event an agent was processing, and what to do if the broker refuses it. */
export interface OutputOrigin {
  readonly event: Event
  /** The agent's error policy for a refused output of this event (may throw: the app must stop). */
  refused(error: unknown): Promise<void>
}

/**
 * The origin of an output sent from an agent's body (`topic.send` while processing an event), when the actor runs
 * in its context (apps with tables): its current event, under the agent's error policy.
 */
export function actorOrigin(): OutputOrigin | undefined {
  const actor = storage.getStore()
  const event = actor?.current()
  if (actor?.refused === undefined || event === undefined) return undefined
  const refused = actor.refused
  return { event, refused: (error) => refused(error, event) }
}

/**
 * The origin of outputs sent now: set by an agent around the synchronous part of delivering a result (sinks and
 * replies hand their records to the outputs synchronously), read by the app's output path. Cheaper than an
 * AsyncLocalStorage; outputs sent after an await of an async sink have no origin (a refusal then stops the app).
 */
export const emitting: { origin: OutputOrigin | undefined } = { origin: undefined }

/** The origin of an agent's output: one small object per emitted result, no closure. */
export class EmitOrigin implements OutputOrigin {
  readonly event: Event
  readonly #agent: { onError(error: unknown, event: Event | undefined): Promise<void> }

  constructor(event: Event, agent: { onError(error: unknown, event: Event | undefined): Promise<void> }) {
    this.event = event
    this.#agent = agent
  }

  refused(error: unknown): Promise<void> {
    return this.#agent.onError(error, this.event)
  }
}
