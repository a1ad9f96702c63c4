import { randomUUID } from 'node:crypto'
import { App, type AppOptions } from '../src/index.ts'

/** An app on its own in-memory broker (or on `broker`), quiet unless FAUSTUS_TEST_LOG is set. */
export function testApp(id = `test-${randomUUID().slice(0, 8)}`, options: AppOptions = {}): App {
  return new App(id, {
    broker: `memory://${id}-${randomUUID()}`,
    logLevel: (process.env.FAUSTUS_TEST_LOG as never) ?? 'silent',
    topicPartitions: 4,
    ...options,
  })
}

/** Polls `condition` until it holds, failing after `timeoutMs` with `message`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  message = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${message}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
