/**
 * Kafka's key partitioner, bit for bit as the Java client (`Utils.murmur2`, `BuiltInPartitioner.partitionForKey`),
 * so a keyed record lands on the same partition whether Faustus, Python Faust or a Java producer sends it.
 * Runs per keyed record: 32-bit integer math with `Math.imul`, no allocation.
 */

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Murmur2 of the bytes, as the Java client's signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const whole = length & ~3
  let i = 0
  for (; i < whole; i += 4) {
    // Four bytes read little-endian, as Java does.
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // The 1-3 trailing bytes (Java's fall-through switch).
  const rest = length & 3
  if (rest > 0) {
    if (rest === 3) h ^= data[i + 2] << 16
    if (rest >= 2) h ^= data[i + 1] << 8
    h ^= data[i]
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** Kafka's `Utils.toPositive`: clears the sign bit (not `Math.abs`, which differs for negatives). */
export function toPositive(n: number): number {
  return n & 0x7fffffff
}

/** The partition the Java client picks for a key: `toPositive(murmur2(key)) % numPartitions`. */
export function partitionForKey(key: Uint8Array, numPartitions: number): number {
  return toPositive(murmur2(key)) % numPartitions
}
