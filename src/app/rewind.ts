/**
 * Which failed exactly-once checkpoints the worker rewinds in place (abort, roll back, read again from the group's
 * committed offsets: src/app/rewinder.ts) instead of stopping: those the broker may get over (unavailable, timeouts,
 * coordinator moves, a transaction it aborted, a new group generation) and a producer left unusable (broken sequence
 * numbers, an epoch bumped by the coordinator after a transaction timeout), which the rewind replaces. A fenced
 * group instance id and refused authorization stop the app: going on could only repeat them.
 *
 * Producer epochs are not what fences a zombie here: each worker's transactional id is its own (a random suffix),
 * so only the coordinator, or this worker's own replacement producer, bumps its epoch. A zombie is fenced by its
 * group generation (KIP-447): its offsets are refused with the transaction, and it rejoins.
 */
import { isFaustusError } from '../errors.ts'

/** Kafka protocol errors after which this worker must not go on. */
const FATAL_KAFKA = new Set(['FENCED_INSTANCE_ID'])

/**
 * Failures of the transport that a broker coming back gets over, and fencing (by the group generation: the rewind
 * rejoins; by the producer epoch: the rewind replaces the producer).
 */
const REWINDABLE_CODES = new Set(['FST_TRANSPORT', 'FST_BROKER_UNAVAILABLE', 'FST_PRODUCER_FENCED'])

export function isRewindable(error: unknown): boolean {
  if (kafkaIds(error).some((id) => FATAL_KAFKA.has(id) || id.endsWith('_AUTHORIZATION_FAILED'))) return false
  // Every typed error in the chain must be a transport failure: an FST_TRANSPORT wrapping a refused output (too
  // large) or a bug would fail again after every rewind.
  let transport = false
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (!isFaustusError(e)) continue
    if (!REWINDABLE_CODES.has(e.code)) return false
    transport = true
  }
  return transport
}

/** Errors saying this member is no longer in the group's generation: the rewind rejoins instead of seeking. */
const GENERATION = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID'])

export function membershipLost(error: unknown): boolean {
  if (kafkaIds(error).some((id) => GENERATION.has(id))) return true
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (isFaustusError(e) && e.code === 'FST_PRODUCER_FENCED' && e.details.generationId !== undefined) return true
  }
  return false
}

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
