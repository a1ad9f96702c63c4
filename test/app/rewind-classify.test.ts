// Which failed exactly-once checkpoints rewind the worker in place and which stop it.
import { describe, expect, it } from 'vitest'
import { isRewindable, membershipLost } from '../../src/app/rewind.ts'
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

  it("rewinds a producer left unusable: the rewind replaces it (a transactional id is one worker's own)", () => {
    // Broken sequence numbers (seen after a broker SIGTERM restart).
    const sequence = new TransportError('FST_TRANSPORT', 'x', { cause: kafka('OUT_OF_ORDER_SEQUENCE_NUMBER') })
    expect(isRewindable(sequence)).toBe(true)
    // An epoch bumped by the coordinator (a transaction it aborted after its timeout).
    expect(isRewindable(new TransportError('FST_PRODUCER_FENCED', 'x', { cause: kafka('PRODUCER_FENCED') }))).toBe(true)
    expect(
      isRewindable(new TransportError('FST_PRODUCER_FENCED', 'x', { cause: kafka('INVALID_PRODUCER_EPOCH') })),
    ).toBe(true)
    expect(isRewindable(new TransportError('FST_PRODUCER_FENCED', 'x', { details: { transactionalId: 't' } }))).toBe(
      true,
    )
  })

  it('rejoins only when the membership was lost', () => {
    expect(membershipLost(new TransportError('FST_PRODUCER_FENCED', 'x', { cause: kafka('UNKNOWN_MEMBER_ID') }))).toBe(
      true,
    )
    expect(membershipLost(new TransportError('FST_PRODUCER_FENCED', 'g', { details: { generationId: 3 } }))).toBe(true)
    expect(membershipLost(new TransportError('FST_BROKER_UNAVAILABLE', 'away'))).toBe(false)
    expect(membershipLost(new TransportError('FST_PRODUCER_FENCED', 'x', { cause: kafka('PRODUCER_FENCED') }))).toBe(
      false,
    )
  })

  it('stops on a fenced instance id, refused authorization and anything not a transport failure', () => {
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
