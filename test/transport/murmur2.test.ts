import { randomBytes } from 'node:crypto'
import { compatibilityPartitioner, murmur2 as platformaticMurmur2 } from '@platformatic/kafka'
import { describe, expect, it } from 'vitest'
import { murmur2, partitionForKey, toPositive } from '../../src/transport/murmur2.ts'

// Kafka's own vectors: clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java, testMurmur2.
const JAVA_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
]

describe('murmur2', () => {
  it.each(JAVA_VECTORS)('matches the Java client for %j', (input, expected) => {
    expect(murmur2(Buffer.from(input))).toBe(expected)
  })

  it('hashes the empty key', () => {
    expect(murmur2(Buffer.alloc(0))).toBe(platformaticMurmur2(Buffer.alloc(0)))
  })

  it('accepts a plain Uint8Array and a Buffer view with an offset alike', () => {
    const backing = Buffer.from('xxfoobar')
    const view = backing.subarray(2)
    expect(murmur2(view)).toBe(-790332482)
    expect(murmur2(new Uint8Array(Buffer.from('foobar')))).toBe(-790332482)
  })

  it('agrees with @platformatic/kafka on random keys of every tail length', () => {
    for (let length = 0; length < 64; length++) {
      for (let n = 0; n < 20; n++) {
        const key = randomBytes(length)
        expect(murmur2(key)).toBe(platformaticMurmur2(key))
      }
    }
  })

  it('agrees with high-bit bytes (Java bytes are signed)', () => {
    const key = Buffer.from([0xff, 0x80, 0xfe, 0x7f, 0x81, 0xc0, 0xee])
    for (let end = 0; end <= key.length; end++) {
      const slice = key.subarray(0, end)
      expect(murmur2(slice)).toBe(platformaticMurmur2(Buffer.from(slice)))
    }
  })
})

describe('partitionForKey', () => {
  it('clears the sign bit rather than taking the absolute value', () => {
    expect(toPositive(-1)).toBe(0x7fffffff)
    expect(toPositive(-2147483648)).toBe(0)
    expect(toPositive(5)).toBe(5)
  })

  it('matches @platformatic/kafka compatibilityPartitioner modulo the partition count', () => {
    for (let n = 0; n < 500; n++) {
      const key = randomBytes(1 + (n % 40))
      const hash = compatibilityPartitioner({ topic: 't', key } as never, key)
      for (const partitions of [1, 2, 3, 7, 8, 12, 100]) {
        expect(partitionForKey(key, partitions)).toBe(hash % partitions)
      }
    }
  })

  it('gives the partitions of the Java vectors', () => {
    expect(partitionForKey(Buffer.from('21'), 8)).toBe(toPositive(-973932308) % 8)
    expect(partitionForKey(Buffer.from('foobar'), 3)).toBe(toPositive(-790332482) % 3)
  })
})
