/**
 * The one test-support module of the project's own tests: a quiet app on its own memory broker, the memory broker
 * and a fresh transport behind an app, and `waitFor`, the only way a test waits for state it cannot await.
 */
import { randomUUID } from 'node:crypto'
import { createTransport } from '../src/app/transports.ts'
import { App, type AppOptions } from '../src/index.ts'
import { type MemoryBroker, memoryBrokerName, memoryBrokers } from '../src/transport/memory/index.ts'
import type { Transport } from '../src/transport/types.ts'

/** An app on its own in-memory broker (or on `broker`), quiet unless FAUSTUS_TEST_LOG is set. */
export function testApp(id = `test-${randomUUID().slice(0, 8)}`, options: AppOptions = {}): App {
  return new App(id, {
    broker: `memory://${id}-${randomUUID()}`,
    logLevel: (process.env.FAUSTUS_TEST_LOG as never) ?? 'silent',
    topicPartitions: 4,
    ...options,
  })
}

/** The in-memory broker an app on `memory://…` talks to (shared by every app and transport with that URL). */
export function brokerOf(app: App | string): MemoryBroker {
  return memoryBrokers.get(memoryBrokerName(typeof app === 'string' ? app : app.settings.broker))
}

/**
 * A transport of its own to the app's broker (memory or Kafka), connected: to produce input, read outputs and
 * committed offsets beside the app. The caller closes it.
 */
export async function openTransport(app: App): Promise<Transport> {
  const transport = await createTransport(app.settings, app.log)
  await transport.connect()
  return transport
}

export interface WaitOptions {
  /** Errors thrown by `check` count as "not yet" (the last one is reported on timeout): for endpoints starting up. */
  retryErrors?: boolean
  /** Between checks; default 5 ms (raise it for checks that cost a broker round trip). */
  intervalMs?: number
}

type Done<T> = Exclude<T, false | undefined | null>

/**
 * Checks `check` until it gives a value other than false, undefined or null, and returns that value; fails after
 * `timeoutMs` naming `what`. The one "wait until" of the tests: for state a test cannot await as a promise. It
 * never stands for a sleep, and the timeout is a deadlock guard, not a speed assertion.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  what: string | (() => string) = 'condition',
  options: WaitOptions = {},
): Promise<Done<T>> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== false && value !== undefined && value !== null) return value as Done<T>
    } catch (error) {
      if (!options.retryErrors) throw error
      last = error
    }
    if (Date.now() > deadline) {
      const name = typeof what === 'string' ? what : what()
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${last ? `: ${String(last)}` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 5))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
