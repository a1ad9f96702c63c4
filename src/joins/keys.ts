/**
 * Store keys of a windowed stream–stream join. Times are written as unsigned 64-bit big-endian numbers, so the
 * stores' byte order is time order (Kafka timestamps are never negative).
 *
 *   buffer (one table per side): keyLength u32 | key | time u64 | id      -> value
 *   outer (records waiting for their window to close, left/outer joins):
 *                                time u64 | side u8 | keyLength u32 | key | id -> value
 *
 * `id` names the input record (topic and offset), so a record read again after a crash replaces its own entry.
 */

export const LEFT = 0
export const RIGHT = 1
export type Side = typeof LEFT | typeof RIGHT

function u64(time: number): Buffer {
  const bytes = Buffer.allocUnsafe(8)
  bytes.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(time))))
  return bytes
}

function u32(n: number): Buffer {
  const bytes = Buffer.allocUnsafe(4)
  bytes.writeUInt32BE(n)
  return bytes
}

export function bufferKey(key: Buffer, time: number, id: Buffer): Buffer {
  return Buffer.concat([u32(key.length), key, u64(time), id])
}

/** The keys of `key`'s buffered records from `from` to `to` (both included): [start, end) for `store.range`. */
export function bufferRange(key: Buffer, from: number, to: number): [Buffer, Buffer] {
  return [Buffer.concat([u32(key.length), key, u64(from)]), Buffer.concat([u32(key.length), key, u64(to + 1)])]
}

export function parseBufferKey(bytes: Buffer): { key: Buffer; time: number; id: Buffer } {
  const length = bytes.readUInt32BE(0)
  const key = bytes.subarray(4, 4 + length)
  const time = Number(bytes.readBigUInt64BE(4 + length))
  return { key, time, id: bytes.subarray(12 + length) }
}

export function outerKey(time: number, side: Side, key: Buffer, id: Buffer): Buffer {
  return Buffer.concat([u64(time), Buffer.of(side), u32(key.length), key, id])
}

export function parseOuterKey(bytes: Buffer): { time: number; side: Side; key: Buffer; id: Buffer } {
  const time = Number(bytes.readBigUInt64BE(0))
  const side = bytes[8] as Side
  const length = bytes.readUInt32BE(9)
  return { time, side, key: bytes.subarray(13, 13 + length), id: bytes.subarray(13 + length) }
}

/** The id of an input record: its topic and offset (its partition is the store's); a counter for channel events. */
export function recordId(topic: string | undefined, offset: number | undefined, fallback: number): Buffer {
  if (topic === undefined || offset === undefined) return Buffer.concat([Buffer.of(0), u64(fallback)])
  return Buffer.concat([Buffer.from(topic, 'utf8'), Buffer.of(0), u64(offset)])
}
