import { isUtf8 } from 'node:buffer'
import type { TypeArg } from '../channels/serde.ts'
import { FaustusError, isFaustusError, type MessageOrigin } from '../errors.ts'
import { takesRecords } from '../models/codec.ts'
import { decodeRecord, isRecordClass, reconstruct, records, type Serializer, serializerFor } from '../models/index.ts'
import type { AnyRecordClass } from '../models/types.ts'

/**
 * How a table's key type treats a key:
 * - `json` (the default, and chains starting with json): a Buffer key is its UTF-8 text, so a raw topic's key
 *   `alice` and the string `'alice'` are one key, written `"alice"` as Faust writes a `key_type=str` key;
 * - `record`: a Buffer key is the record's serialized form, a plain object is built into the record;
 * - `raw`: Buffers and strings (as UTF-8), nothing else;
 * - `codec`: any other codec gets the key as it is, Buffers included.
 */
type KeyKind = 'json' | 'record' | 'raw' | 'codec'

/**
 * The key codec of a table. A topic's serializer passes Buffers through unencoded (a Buffer there is a payload
 * already encoded); a table cannot: a Buffer given to a table is a key (usually a raw topic's message key), and it
 * must reach the store and the changelog in the same encoding as the same key given any other way, or lookups,
 * iteration and recovery (which decode the changelog with the key type) miss it. So every key is first normalized
 * to the form the key type encodes, and a key the type cannot hold is a FST_TABLE_KEY error before anything is
 * written.
 */
export class TableKeys {
  readonly #table: string
  readonly #serializer: Serializer
  readonly #kind: KeyKind
  readonly #recordType: AnyRecordClass | undefined

  constructor(table: string, keyType: TypeArg) {
    this.#table = table
    this.#serializer = serializerFor(keyType as string | undefined, 'json')
    this.#recordType = this.#serializer.recordType
    if (this.#recordType !== undefined) this.#kind = 'record'
    else if (this.#serializer.codec.name === 'raw') this.#kind = 'raw'
    else if (takesRecords(this.#serializer.codec)) this.#kind = 'json'
    else this.#kind = 'codec'
  }

  /** The key's bytes: what the store and the changelog hold. */
  encode(key: unknown): Buffer {
    const value = this.normalize(key)
    try {
      const bytes = this.#kind === 'codec' ? this.#serializer.codec.encode(value) : this.#serializer.encode(value)
      if (bytes === null) throw this.#error(key, 'a key cannot be null')
      return bytes
    } catch (error) {
      if (isFaustusError(error, 'FST_TABLE_KEY')) throw error
      throw this.#error(key, (error as Error).message, error)
    }
  }

  decode(bytes: Buffer, origin?: MessageOrigin): unknown {
    return this.#serializer.decode(bytes, origin)
  }

  /**
   * The key as the key type sees it: Buffers turned into text (JSON keys) or records (record keys), plain objects
   * into records. Composite keys (`[key, window]`, `[op, key]`) are JSON around this form.
   */
  normalize(key: unknown): unknown {
    if (key === null || key === undefined) throw this.#error(key, 'a key cannot be null or undefined')
    const bytes = asBuffer(key)
    switch (this.#kind) {
      case 'json':
        return bytes === undefined ? key : this.#text(bytes)
      case 'raw':
        if (bytes !== undefined) return bytes
        if (typeof key === 'string') return key
        throw this.#error(key, 'keyType "raw" holds Buffers and strings; use the default JSON keys for others')
      case 'record':
        return this.#record(key, bytes)
      case 'codec':
        return key
    }
  }

  /** A key of a composite JSON key (windowed, set changelog): JSON-able, records as records. */
  jsonPart(key: unknown): unknown {
    const value = this.normalize(key)
    const bytes = asBuffer(value)
    return bytes === undefined ? value : this.#text(bytes)
  }

  /** The inverse of `jsonPart`, from a decoded composite key. */
  fromJsonPart(value: unknown, origin?: MessageOrigin): unknown {
    if (this.#recordType !== undefined) return decodeRecord(this.#recordType, value, origin)
    if (this.#kind === 'raw' && typeof value === 'string') return Buffer.from(value, 'utf8')
    return reconstruct(value, records, origin)
  }

  #text(bytes: Buffer): string {
    if (!isUtf8(bytes)) {
      throw this.#error(
        bytes,
        'the key bytes are not UTF-8 text, so they cannot be a JSON key: give the table keyType "raw" (or "binary")',
      )
    }
    return bytes.toString('utf8')
  }

  #record(key: unknown, bytes: Buffer | undefined): unknown {
    const type = this.#recordType!
    try {
      if (bytes !== undefined) return this.#serializer.decode(bytes)
      if (typeof key === 'object' && key !== null && isRecordClass(key.constructor)) return key
      if (typeof key === 'object' && key !== null && !Array.isArray(key)) return new type(key as never)
    } catch (error) {
      throw this.#error(key, `not a ${type.namespace} key: ${(error as Error).message}`, error)
    }
    throw this.#error(key, `keyType is the record ${type.namespace}: give a ${type.namespace}, its fields or its bytes`)
  }

  #error(key: unknown, why: string, cause?: unknown): FaustusError {
    return new FaustusError('FST_TABLE_KEY', `table "${this.#table}": key ${describeKey(key)}: ${why}`, {
      cause,
      details: { table: this.#table },
    })
  }
}

function asBuffer(value: unknown): Buffer | undefined {
  if (Buffer.isBuffer(value)) return value
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return undefined
}

/** A short description of a key for error messages (bytes as their length: they may be anything). */
export function describeKey(key: unknown): string {
  if (key === null || key === undefined) return String(key)
  const bytes = asBuffer(key)
  if (bytes !== undefined) {
    return isUtf8(bytes) ? `bytes ${shorten(JSON.stringify(bytes.toString('utf8')))}` : `<${bytes.length} bytes>`
  }
  try {
    return shorten(JSON.stringify(key) ?? String(key))
  } catch {
    return typeof key
  }
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
