/**
 * The one test-support module of the project's own tests: a quiet app on its own memory broker, the memory broker
 * and a fresh transport behind an app, a topic reader and a committed-offsets wait, and `waitFor`, the only way a
 * test waits for state it cannot await.
 */
import { randomUUID } from 'node:crypto'
import { afterEach } from 'vitest'
import { createTransport } from '../src/app/transports.ts'
import { App, type AppOptions } from '../src/index.ts'
import { type MemoryBroker, memoryBrokerName, memoryBrokers } from '../src/transport/memory/index.ts'
import type { ConsumedRecord, TopicPartition, Transport } from '../src/transport/types.ts'

/** An app on its own in-memory broker (or on `broker`), quiet unless FAUSTUS_TEST_LOG is set. */
export function testApp(id = `test-${randomUUID().slice(0, 8)}`, options: AppOptions = {}): App {
  return new App(id, {
    broker: `memory://${id}-${randomUUID()}`,
    logLevel: (process.env.FAUSTUS_TEST_LOG as never) ?? 'silent',
    topicPartitions: 4,
    ...options,
  })
}

/**
 * The apps a test file starts, each stopped after every test (in parallel; a stop that fails fails the test):
 * `const apps = stopAfterEach()`, then `apps.push(app)`.
 */
export function stopAfterEach(): App[] {
  const apps: App[] = []
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.stop()))
  })
  return apps
}

/** The in-memory broker an app on `memory://…` talks to (shared by every app and transport with that URL). */
export function brokerOf(app: App | string): MemoryBroker {
  return memoryBrokers.get(memoryBrokerName(typeof app === 'string' ? app : app.settings.broker))
}

/** Whether the app's group committed every record of `topic`'s `partitions` on its memory broker. */
export function committedToEnd(app: App, topic: string, partitions: readonly number[]): boolean {
  const memory = brokerOf(app)
  const group = memory.group(app.groupId)
  return partitions.every(
    (partition) => group.committed({ topic, partition }) === memory.log({ topic, partition }).latest,
  )
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

/** Partitions 0..count-1 of a topic. */
export const partitionsOf = (topic: string, count: number): TopicPartition[] =>
  Array.from({ length: count }, (_, partition) => ({ topic, partition }))

/**
 * Every record of `partitions` a read_committed reader sees, read to the end offsets once no transaction is open
 * on them (a topic written without transactions is read whole at once): what "no duplicates" checks count.
 */
export async function readToEnd(
  transport: Transport,
  partitions: TopicPartition[],
  timeoutMs = 240_000,
): Promise<ConsumedRecord[]> {
  let ends = await transport.listOffsets(partitions)
  await waitFor(
    async () => {
      ends = await transport.listOffsets(partitions)
      const high = await transport.listOffsets(partitions, { isolationLevel: 'read_uncommitted' })
      return ends.every((end, i) => end.latest === high[i]!.latest)
    },
    timeoutMs,
    'no open transaction on the topic',
    { intervalMs: 100 },
  )
  const records: ConsumedRecord[] = []
  const positions = new Map<string, number>()
  const reader = transport.createConsumer({
    isolationLevel: 'read_committed',
    handler: {
      onAssigned: () => {},
      onRevoked: () => {},
      onRecords: (batch) => void records.push(...batch),
      // The position, not the last record: a transactional partition ends with a marker no record stands for.
      onPosition: (p) => void positions.set(`${p.topic}\u0000${p.partition}`, p.offset),
    },
  })
  await reader.assign(partitions.map((tp) => ({ ...tp, offset: 0 })))
  await reader.start()
  try {
    await waitFor(
      () => ends.every((end) => (positions.get(`${end.topic}\u0000${end.partition}`) ?? 0) >= end.latest),
      timeoutMs,
      () => `the end offsets of ${[...new Set(partitions.map((tp) => tp.topic))].join(', ')}`,
      { intervalMs: 100 },
    )
  } finally {
    await reader.close()
  }
  return records
}

/** Waits until group `groupId` has committed every record of `partitions` (their end offsets when called). */
export async function allCommitted(
  transport: Transport,
  groupId: string,
  partitions: TopicPartition[],
  timeoutMs = 240_000,
): Promise<void> {
  const group = transport.createConsumer({ groupId, handler: { onAssigned() {}, onRevoked() {}, onRecords() {} } })
  try {
    const ends = await transport.listOffsets(partitions)
    let behind: string[] = []
    await waitFor(
      async () => {
        const committed = await group.committed(partitions)
        behind = ends
          .filter((end) => committed.get(`${end.topic}\u0000${end.partition}`) !== end.latest)
          .map(
            (end) =>
              `${end.topic}/${end.partition} ${committed.get(`${end.topic}\u0000${end.partition}`)}<${end.latest}`,
          )
        return behind.length === 0
      },
      timeoutMs,
      () => `group ${groupId} to commit every input (behind: ${behind.join(', ')})`,
      { intervalMs: 100 },
    )
  } finally {
    await group.close()
  }
}
