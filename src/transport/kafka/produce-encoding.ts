/**
 * Produce requests encoded straight into one buffer per request. The client library builds each record from
 * small buffers (one per varint and field) and joins them three times over (record, batch, request): for 100-byte
 * records that is most of a passthrough's CPU and allocation (issue 16). Here the sizes are counted first and the
 * request is written once, into one allocation; the library still sends it and parses the answer.
 *
 * Same bytes as the library's Produce v3 to v11 without compression (test/transport-kafka/produce-encoding.test.ts
 * checks them against it); compressed sends stay with the library.
 */
import { crc32c, Writer } from '@platformatic/kafka'
import type { Message } from './produce-requests.ts'

/** One partition's record batch: its messages and the idempotence fields it is written with. */
export interface BatchToEncode {
  topic: string
  partition: number
  messages: Message[]
  producerId: bigint
  producerEpoch: number
  firstSequence: number
}

const TRANSACTIONAL = 1 << 4
/** baseOffset(8) length(4) leaderEpoch(4) magic(1) crc(4): before the CRC-covered part. */
const BATCH_PREFIX = 21
/** attributes(2) lastOffsetDelta(4) firstTimestamp(8) maxTimestamp(8) producerId(8) epoch(2) sequence(4) count(4). */
const BATCH_HEADER = 40

function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1
}

/** Bytes of `value` (non-negative, up to 2^53) as an unsigned varint. */
function varintSize(value: number): number {
  let size = 1
  while (value >= 128) {
    value = Math.floor(value / 128)
    size++
  }
  return size
}

function writeVarint(buffer: Buffer, offset: number, value: number): number {
  while (value >= 128) {
    buffer[offset++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  buffer[offset++] = value
  return offset
}

/** Bytes of a record's length-prefixed field (-1 for none). */
function bytesSize(value: Buffer | null | undefined): number {
  return value == null ? 1 : varintSize(value.length * 2) + value.length
}

function writeBytes(buffer: Buffer, offset: number, value: Buffer | null | undefined): number {
  if (value == null) {
    buffer[offset] = 1 // zigzag(-1)
    return offset + 1
  }
  offset = writeVarint(buffer, offset, value.length * 2)
  return offset + value.copy(buffer, offset)
}

/**
 * Whether the lean encoder writes these messages as the library would: Buffer (or absent) keys, values and header
 * parts, timestamps whose deltas are exact in a double. Anything else goes through the library.
 */
export function encodable(messages: Message[]): boolean {
  for (const m of messages) {
    if (m.key != null && !Buffer.isBuffer(m.key)) return false
    if (m.value != null && !Buffer.isBuffer(m.value)) return false
    if (typeof m.timestamp !== 'bigint') return false
    const ts = Number(m.timestamp)
    if (!Number.isSafeInteger(ts) || Math.abs(ts) > 2 ** 50) return false
    const headers = m.headers
    if (headers != null) {
      if (!(headers instanceof Map)) return false
      for (const [k, v] of headers) if (!Buffer.isBuffer(k) || (v != null && !Buffer.isBuffer(v))) return false
    }
  }
  return true
}

/** Sizes of each record's body (after its length varint), and the batch's total bytes. */
function measure(messages: Message[], first: number, sizes: Int32Array): number {
  let total = BATCH_PREFIX + BATCH_HEADER
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]
    let size = 1 + varintSize(zigzag(Number(m.timestamp) - first)) + varintSize(i * 2)
    size += bytesSize(m.key) + bytesSize(m.value)
    const headers = m.headers as Map<Buffer, Buffer> | undefined
    size += varintSize((headers?.size ?? 0) * 2)
    if (headers != null) for (const [k, v] of headers) size += bytesSize(k) + bytesSize(v)
    sizes[i] = size
    total += varintSize(size * 2) + size
  }
  return total
}

/** Writes one partition's record batch (v2, uncompressed) at `offset`; returns the offset after it. */
function writeBatch(
  buffer: Buffer,
  offset: number,
  batch: BatchToEncode,
  measured: Measured,
  transactional: boolean,
): number {
  const { messages } = batch
  const { total, sizes } = measured
  const first = Number(messages[0].timestamp)
  let max = first
  const start = offset
  buffer.writeBigInt64BE(0n, offset)
  buffer.writeInt32BE(total - 12, offset + 8)
  buffer.writeInt32BE(0, offset + 12) // partition leader epoch
  buffer.writeInt8(2, offset + 16) // magic
  const crcStart = offset + BATCH_PREFIX
  offset = crcStart
  buffer.writeInt16BE(transactional ? TRANSACTIONAL : 0, offset)
  buffer.writeInt32BE(messages.length - 1, offset + 2)
  // First and max timestamps are written after the records, once the max is known.
  buffer.writeBigInt64BE(batch.producerId, offset + 22)
  buffer.writeInt16BE(batch.producerEpoch, offset + 30)
  buffer.writeInt32BE(batch.firstSequence, offset + 32)
  buffer.writeInt32BE(messages.length, offset + 36)
  const timestamps = offset + 6
  offset += BATCH_HEADER
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]
    const ts = Number(m.timestamp)
    if (ts > max) max = ts
    offset = writeVarint(buffer, offset, sizes[i] * 2)
    buffer[offset++] = 0 // attributes
    offset = writeVarint(buffer, offset, zigzag(ts - first))
    offset = writeVarint(buffer, offset, i * 2)
    offset = writeBytes(buffer, offset, m.key)
    offset = writeBytes(buffer, offset, m.value)
    const headers = m.headers as Map<Buffer, Buffer> | undefined
    offset = writeVarint(buffer, offset, (headers?.size ?? 0) * 2)
    if (headers != null) {
      for (const [k, v] of headers) {
        offset = writeBytes(buffer, offset, k)
        offset = writeBytes(buffer, offset, v)
      }
    }
  }
  buffer.writeBigInt64BE(BigInt(first), timestamps)
  buffer.writeBigInt64BE(BigInt(max), timestamps + 8)
  buffer.writeUInt32BE(crc32c(buffer.subarray(crcStart, offset)), start + 17)
  if (offset - start !== total) throw new Error(`record batch encoded to ${offset - start} bytes, expected ${total}`)
  return offset
}

/** A partition batch's bytes, and its records' body sizes. */
interface Measured {
  total: number
  sizes: Int32Array
}

function measureBatch(batch: BatchToEncode): Measured {
  const sizes = new Int32Array(batch.messages.length)
  return { total: measure(batch.messages, Number(batch.messages[0].timestamp), sizes), sizes }
}

export interface ProduceRequestOptions {
  /** Produce API version the connection negotiated (3 to 11; flexible from 9). */
  version: number
  acks: number
  timeoutMs: number
  transactionalId?: string
}

/**
 * The body of a Produce request (after the request header) carrying `batches`, grouped by topic in order of first
 * appearance, as one buffer.
 */
export function encodeProduceRequest(batches: BatchToEncode[], options: ProduceRequestOptions): Buffer {
  const flexible = options.version >= 9
  const byTopic = new Map<string, BatchToEncode[]>()
  for (const batch of batches) {
    const list = byTopic.get(batch.topic)
    if (list === undefined) byTopic.set(batch.topic, [batch])
    else list.push(batch)
  }
  const id = options.transactionalId == null ? undefined : Buffer.from(options.transactionalId)
  const measured = new Map<BatchToEncode, Measured>()
  for (const batch of batches) measured.set(batch, measureBatch(batch))
  let size = (flexible ? varintSize(id === undefined ? 0 : id.length + 1) : 2) + (id?.length ?? 0) + 6
  size += flexible ? varintSize(byTopic.size + 1) + 1 : 4
  const names = new Map<string, Buffer>()
  for (const [topic, list] of byTopic) {
    const name = Buffer.from(topic)
    names.set(topic, name)
    size += (flexible ? varintSize(name.length + 1) : 2) + name.length
    size += flexible ? varintSize(list.length + 1) + 1 : 4
    for (const batch of list) {
      const bytes = measured.get(batch)!.total
      size += 4 + (flexible ? varintSize(bytes + 1) + 1 : 4) + bytes
    }
  }
  const buffer = Buffer.allocUnsafe(size)
  let offset = 0
  if (flexible) offset = writeVarint(buffer, offset, id === undefined ? 0 : id.length + 1)
  else offset = buffer.writeInt16BE(id === undefined ? -1 : id.length, offset)
  if (id !== undefined) offset += id.copy(buffer, offset)
  offset = buffer.writeInt16BE(options.acks, offset)
  offset = buffer.writeInt32BE(options.timeoutMs, offset)
  offset = flexible ? writeVarint(buffer, offset, byTopic.size + 1) : buffer.writeInt32BE(byTopic.size, offset)
  // As the library: a batch is transactional when the id is set and not empty.
  const transactional = Boolean(options.transactionalId)
  for (const [topic, list] of byTopic) {
    const name = names.get(topic)!
    offset = flexible ? writeVarint(buffer, offset, name.length + 1) : buffer.writeInt16BE(name.length, offset)
    offset += name.copy(buffer, offset)
    offset = flexible ? writeVarint(buffer, offset, list.length + 1) : buffer.writeInt32BE(list.length, offset)
    for (const batch of list) {
      offset = buffer.writeInt32BE(batch.partition, offset)
      const sized = measured.get(batch)!
      offset = flexible ? writeVarint(buffer, offset, sized.total + 1) : buffer.writeInt32BE(sized.total, offset)
      offset = writeBatch(buffer, offset, batch, sized, transactional)
      if (flexible) buffer[offset++] = 0 // partition tagged fields
    }
    if (flexible) buffer[offset++] = 0 // topic tagged fields
  }
  if (flexible) buffer[offset++] = 0 // request tagged fields
  if (offset !== size) throw new Error(`produce request encoded to ${offset} bytes, expected ${size}`)
  return buffer
}

/** A request payload for the library's connection: the encoded body in a Writer. */
export function producePayload(body: Buffer): Writer {
  return Writer.create().append(body)
}
