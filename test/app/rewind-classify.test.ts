// Which failed exactly-once checkpoints rewind the worker in place and which stop it.
import { describe, expect, it } from 'vitest'
import { isRewindable } from '../../src/app/rewind.ts'
import { FaustusError, TransportError } from '../../src/errors.ts'

/** A Kafka protocol error as the client library reports it (its `apiId`). */
function kafka(apiId: string): Error {
  return Object.assign(new Error(apiId), { apiId })
}

describe('isRewindable', () => {
  it('rewinds what the broker may get over', () => {
    expect(isRewindable(new TransportError('FST_BROKER_UNAVAILABLE', 'away'))).toBe(true)
    expect(isRewindable(new TransportError('FST_TRANSPORT', 'x', { cause: kafka('NOT_COORDINATOR') }))).toBe(true)
    expect(isRewindable(new TransportError('FST_TRANSPORT', 'x', { cause: kafka('REQUEST_TIMED_OUT') }))).toBe(true)
    // A new group generation (KIP-447): rejoining gives this worker a current one.
    const generation = new TransportError('FST_PRODUCER_FENCED', 'moved', { details: { generationId: 3 } })
    expect(isRewindable(generation)).toBe(true)
    expect(isRewindable(new TransportError('FST_PRODUCER_FENCED', 'x', { cause: kafka('ILLEGAL_GENERATION') }))).toBe(
      true,
    )
  })

  it('stops a zombie, a fenced instance id, refused authorization and anything not a transport failure', () => {
    const zombie = new TransportError('FST_PRODUCER_FENCED', 'x', { cause: kafka('PRODUCER_FENCED') })
    expect(isRewindable(zombie)).toBe(false)
    expect(
      isRewindable(new TransportError('FST_PRODUCER_FENCED', 'x', { cause: kafka('INVALID_PRODUCER_EPOCH') })),
    ).toBe(false)
    // The memory broker's fencing by a newer producer with the same transactional id.
    expect(isRewindable(new TransportError('FST_PRODUCER_FENCED', 'x', { details: { transactionalId: 't' } }))).toBe(
      false,
    )
    expect(isRewindable(new TransportError('FST_TRANSPORT', 'x', { cause: kafka('FENCED_INSTANCE_ID') }))).toBe(false)
    expect(
      isRewindable(new TransportError('FST_TRANSPORT', 'x', { cause: kafka('TRANSACTIONAL_ID_AUTHORIZATION_FAILED') })),
    ).toBe(false)
    expect(isRewindable(new FaustusError('FST_GROUP_INSTANCE_FENCED', 'x'))).toBe(false)
    expect(isRewindable(new FaustusError('FST_OUTPUT_REFUSED', 'x'))).toBe(false)
    expect(isRewindable(new TypeError('a bug'))).toBe(false)
    // Wrapped: an output the broker refuses fails again after every rewind.
    const refused = new FaustusError('FST_OUTPUT_REFUSED', 'too large')
    expect(isRewindable(new FaustusError('FST_TRANSPORT', 'an output could not be produced', { cause: refused }))).toBe(
      false,
    )
  })
})
