/**
 * Which failed exactly-once checkpoints the worker rewinds in place (abort, roll back, read again from the group's
 * committed offsets) instead of stopping: those the broker may get over (unavailable, timeouts, coordinator moves,
 * a transaction it aborted, a new group generation). A zombie producer (a newer epoch took the transactional id),
 * a fenced group instance id and refused authorization stop the app: going on could only repeat them.
 */
import { isFaustusError } from '../errors.ts'

/** Kafka protocol errors after which this worker must not go on. */
const FATAL_KAFKA = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'FENCED_INSTANCE_ID'])

export function isRewindable(error: unknown): boolean {
  if (kafkaIds(error).some((id) => FATAL_KAFKA.has(id) || id.endsWith('_AUTHORIZATION_FAILED'))) return false
  if (isFaustusError(error, 'FST_PRODUCER_FENCED')) {
    // Fenced by the group generation (KIP-447): rejoining gives a new one. Fenced by a newer producer: a zombie.
    const details = (error as { details?: Record<string, unknown> }).details
    return details?.generationId !== undefined || kafkaIds(error).some((id) => GENERATION.has(id))
  }
  return isFaustusError(error, 'FST_TRANSPORT') || isFaustusError(error, 'FST_BROKER_UNAVAILABLE')
}

const GENERATION = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS'])

/** Every Kafka protocol error id (`apiId`) in an error's causes and aggregated errors. */
function kafkaIds(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 6) return []
  const ids: string[] = []
  const { apiId, cause, errors } = error as { apiId?: unknown; cause?: unknown; errors?: unknown }
  if (typeof apiId === 'string') ids.push(apiId)
  ids.push(...kafkaIds(cause, depth + 1))
  if (Array.isArray(errors)) for (const inner of errors) ids.push(...kafkaIds(inner, depth + 1))
  return ids
}
