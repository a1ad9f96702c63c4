/** The consumer-protocol payloads, checked against bytes laid out by hand as kafka-python (Faust) writes them. */
import { describe, expect, it } from 'vitest'
import {
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
} from '../../src/transport/kafka/group-protocol.ts'

const int16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff])
const int32 = (n: number) => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}
const str = (s: string) => Buffer.concat([int16(Buffer.byteLength(s)), Buffer.from(s)])
const bytes = (b: Buffer | null) => (b === null ? int32(-1) : Buffer.concat([int32(b.length), b]))

describe('kafka group protocol payloads', () => {
  it('writes a subscription as Faust does: version 4, v0 fields only, topics sorted', () => {
    const userData = Buffer.from('{"assignment":{"actives":{},"standbys":{}},"url":""}')
    const encoded = encodeSubscription({ version: 4, topics: ['b-topic', 'a-topic'], userData })
    const expected = Buffer.concat([int16(4), int32(2), str('a-topic'), str('b-topic'), bytes(userData)])
    expect(encoded.equals(expected)).toBe(true)
  })

  it('reads a Faust subscription (version 4, v0 layout) and ignores fields of newer clients', () => {
    const faust = Buffer.concat([int16(4), int32(1), str('orders'), bytes(Buffer.from('{"url":"http://w1"}'))])
    expect(decodeSubscription(faust)).toEqual({
      version: 4,
      topics: ['orders'],
      userData: Buffer.from('{"url":"http://w1"}'),
    })
    // A Java v1 subscription: owned partitions after the user data.
    const java = Buffer.concat([int16(1), int32(1), str('t'), bytes(null), int32(1), str('t'), int32(1), int32(0)])
    expect(decodeSubscription(java)).toEqual({ version: 1, topics: ['t'], userData: null })
  })

  it('writes an assignment with topics sorted and partitions in the given order, and reads it back', () => {
    const userData = Buffer.from([0x78, 0x9c, 0x01]) // zlib header bytes, opaque here
    // Within a topic the order is the assignor's (actives, then changelog standbys), which a Python follower checks.
    const encoded = encodeAssignment({
      version: 4,
      partitions: [
        { topic: 'b', partition: 0 },
        { topic: 'a', partition: 1 },
        { topic: 'b', partition: 2 },
      ],
      userData,
    })
    const expected = Buffer.concat([
      int16(4),
      int32(2),
      str('a'),
      int32(1),
      int32(1),
      str('b'),
      int32(2),
      int32(0),
      int32(2),
      bytes(userData),
    ])
    expect(encoded.equals(expected)).toBe(true)
    expect(decodeAssignment(encoded)).toEqual({
      version: 4,
      partitions: [
        { topic: 'a', partition: 1 },
        { topic: 'b', partition: 0 },
        { topic: 'b', partition: 2 },
      ],
      userData,
    })
  })

  it('reads an empty SyncGroup assignment as nothing assigned', () => {
    expect(decodeAssignment(Buffer.alloc(0))).toEqual({ version: 0, partitions: [], userData: null })
  })
})
