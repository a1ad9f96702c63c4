import type { AppServices } from './services.ts'

/** What an app has in flight right now (`app.stats()`): for tests, health checks and metrics. */
export interface AppStats {
  /** Records received from the consumer since start (each counted once, whether decoded or not). */
  eventsReceived: number
  /** Received records that could not be decoded (logged, counted, dead-lettered if `deadLetterTopic` is set). */
  undecodable: number
  /** Events handed to agents and streams, not yet acknowledged (processed). */
  eventsInFlight: number
  /** Records sent (agent outputs, sinks, table changes) the broker has not acknowledged yet. */
  outputsInFlight: number
  /** Records waiting to be handed to the producer. */
  outputsBuffered: number
  /** Asks (`ask`, `map`, `join`) waiting for their reply. */
  asksWaiting: number
  /** The app holds a broker connection (between the first connect of `start()` and the end of `stop()`). */
  connected: boolean
}

export function appStats(services: AppServices): AppStats {
  const { runtime } = services
  const outputs = runtime.outputsInFlight
  return {
    eventsReceived: runtime.conductor.stats.received,
    undecodable: runtime.conductor.stats.undecodable,
    eventsInFlight: runtime.conductor.acks.inFlight(),
    outputsInFlight: outputs.inFlight,
    outputsBuffered: outputs.buffered,
    asksWaiting: runtime.asksWaiting,
    connected: runtime.transport !== undefined,
  }
}
