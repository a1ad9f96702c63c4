import type { AgentErrorPolicy } from '../agents/agent.ts'
import { isFaustusError } from '../errors.ts'
import type { Event } from '../streams/event.ts'
import type { ConsumedRecord, ProduceRecord, Producer } from '../transport/types.ts'
import { encodeJsonText } from './codecs.ts'

/** Header names carrying why and where from a record was dead-lettered. */
export const DEAD_LETTER_HEADERS = {
  error: 'faustus-error',
  code: 'faustus-error-code',
  agent: 'faustus-agent',
  topic: 'faustus-origin-topic',
  partition: 'faustus-origin-partition',
  offset: 'faustus-origin-offset',
} as const

/**
 * The record copied to a dead-letter topic: the original key and value bytes (or the value as JSON when it came
 * through an in-process channel), the original headers, and the error and origin in `faustus-*` headers.
 */
export function deadLetterRecord(
  topic: string,
  failure: { error: unknown; agent?: string; event?: Event; record?: ConsumedRecord },
): ProduceRecord {
  const source = failure.record ?? failure.event?.message ?? null
  const error = failure.error
  const headers: Record<string, Buffer | string> = { ...(source?.headers ?? failure.event?.headers ?? {}) }
  headers[DEAD_LETTER_HEADERS.error] = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown })?.code
  if (typeof code === 'string') headers[DEAD_LETTER_HEADERS.code] = code
  if (failure.agent) headers[DEAD_LETTER_HEADERS.agent] = failure.agent
  if (source) {
    headers[DEAD_LETTER_HEADERS.topic] = source.topic
    headers[DEAD_LETTER_HEADERS.partition] = String(source.partition)
    headers[DEAD_LETTER_HEADERS.offset] = String(source.offset)
  }
  const value = source ? source.value : Buffer.from(encodeJsonText(failure.event?.value ?? null))
  return { topic, key: source?.key ?? null, value, headers }
}

/** Sends the dead-letter record of `failure` to `topic`, waiting for the broker's acknowledgement. */
export async function sendDeadLetter(
  producer: Producer,
  topic: string,
  failure: Parameters<typeof deadLetterRecord>[1],
): Promise<void> {
  await producer.send([deadLetterRecord(topic, failure)])
}

/** Every dead-letter topic an app writes to: the `deadLetterTopic` setting and each agent's `onError: { deadLetter }`. */
export function deadLetterTopics(
  setting: string | undefined,
  agents: Iterable<{ options: { onError?: AgentErrorPolicy } }>,
): string[] {
  const names = new Set<string>()
  if (setting !== undefined) names.add(setting)
  for (const agent of agents) {
    const policy = agent.options.onError
    if (typeof policy === 'object') names.add(policy.deadLetter)
  }
  return [...names]
}

/** What the error diagnostics channel hears of a record that cannot be decoded. */
export function undecodableEvent(app: string, error: unknown, record: ConsumedRecord, deadLetter: string | undefined) {
  const code = isFaustusError(error) ? error.code : 'FST_DECODE'
  const { topic, partition, offset } = record
  return { app, code, message: (error as Error).message, topic, partition, offset, deadLetter }
}
