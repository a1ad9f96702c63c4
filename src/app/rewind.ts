/**
 * Which failed exactly-once checkpoints the worker rewinds in place (abort, roll back, read again from the group's
 * committed offsets) instead of stopping: those the broker may get over (unavailable, timeouts, coordinator moves,
 * a transaction it aborted, a new group generation). A zombie producer (a newer epoch took the transactional id),
 * a fenced group instance id and refused authorization stop the app: going on could only repeat them.
 */
import { isFaustusError } from '../errors.ts'

/** Kafka protocol errors after which this worker must not go on. */
const FATAL_KAFKA = new Set([
  'PRODUCER_FENCED',
  'INVALID_PRODUCER_EPOCH',
  'FENCED_INSTANCE_ID',
  // The producer's sequence state is broken: every later transaction fails the same way (seen after a broker
  // SIGTERM restart) until the producer is re-created, which the rewind does not do yet; stopping beats a loop.
  'OUT_OF_ORDER_SEQUENCE_NUMBER',
])

/** Failures of the transport that a broker coming back gets over. */
const REWINDABLE_CODES = new Set(['FST_TRANSPORT', 'FST_BROKER_UNAVAILABLE'])

export function isRewindable(error: unknown): boolean {
  if (kafkaIds(error).some((id) => FATAL_KAFKA.has(id) || id.endsWith('_AUTHORIZATION_FAILED'))) return false
  // Every typed error in the chain must be a transport failure: an FST_TRANSPORT wrapping a refused output (too
  // large) or a bug would fail again after every rewind.
  let transport = false
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 6; e = e.cause, depth++) {
    if (!isFaustusError(e)) continue
    if (e.code === 'FST_PRODUCER_FENCED') {
      // Fenced by the group generation (KIP-447): rejoining gives a new one. Fenced by a newer producer: a zombie.
      if (e.details.generationId === undefined && !kafkaIds(e).some((id) => GENERATION.has(id))) return false
    } else if (!REWINDABLE_CODES.has(e.code)) return false
    transport = true
  }
  return transport
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
