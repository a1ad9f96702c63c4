/**
 * The key or value serializer of a topic: a codec, plus record decoding and validation when the type is a record.
 * Mirrors Faust's `Registry.dumps_key/loads_value`: bytes pass through unencoded, a record picks its class by
 * `__faust.ns`, and a topic without a type still turns payloads with a registered `ns` into records.
 */
import { DecodeError, FaustusError, type MessageOrigin } from '../errors.ts'
import { type Codec, takesRecords } from './codec.ts'
import { type CodecRegistry, codecs as defaultCodecs } from './codecs.ts'
import { decodeRecord, reconstruct } from './decode.ts'
import { isRecordClass } from './definition.ts'
import { records as defaultRecords, type RecordRegistry } from './registry.ts'
import type { AnyRecordClass, InitOf, InstanceOf } from './types.ts'

/** Faust's defaults: keys as raw bytes, values as JSON. */
export const DEFAULT_KEY_CODEC = 'raw'
export const DEFAULT_VALUE_CODEC = 'json'

export interface Serializer<T = unknown, In = T> {
  readonly codec: Codec
  /** The record type, when there is one. */
  readonly recordType: AnyRecordClass | undefined
  /** null and undefined encode to null (a tombstone); a Buffer is sent as it is. */
  encode(value: In | Buffer | null | undefined): Buffer | null
  decode(payload: null, origin?: MessageOrigin): null
  /** A null payload (tombstone) decodes to null, whatever the type. */
  decode(payload: Buffer | null, origin?: MessageOrigin): T
}

export interface SerializerOptions {
  codecs?: CodecRegistry
  /** Where a topic without a record type looks up `__faust.ns` (default: the default registry). */
  records?: RecordRegistry
  /** Turn untyped payloads with a registered `ns` into records, as Faust does (default true). */
  reconstruct?: boolean
}

type TypeArg = AnyRecordClass | Codec | string | undefined

export function serializerFor<R extends AnyRecordClass>(
  type: R,
  defaultCodec?: string | Codec,
  options?: SerializerOptions,
): Serializer<InstanceOf<R>, InstanceOf<R> | InitOf<R>>
export function serializerFor<T = unknown>(
  type: string | Codec | undefined,
  defaultCodec?: string | Codec,
  options?: SerializerOptions,
): Serializer<T>
export function serializerFor(
  type: TypeArg,
  defaultCodec: string | Codec = DEFAULT_VALUE_CODEC,
  options: SerializerOptions = {},
): Serializer<unknown> {
  const registry = options.codecs ?? defaultCodecs
  if (isRecordClass(type)) {
    let codec = registry.get(type.serializer ?? defaultCodec)
    // Raw bytes cannot carry a record; Faust users set a JSON key serializer for record keys, so we do it for them.
    if (type.serializer === undefined && codec.name === 'raw') codec = registry.get(DEFAULT_VALUE_CODEC)
    return recordSerializer(type, codec)
  }
  const codec = registry.get(type ?? defaultCodec)
  const records = options.reconstruct === false ? undefined : (options.records ?? defaultRecords)
  return codecSerializer(codec, records)
}

function isRecordInstance(value: unknown): value is { toJSON(): unknown } {
  return value !== null && typeof value === 'object' && isRecordClass(value.constructor)
}

function encodeWith(codec: Codec, value: unknown): Buffer {
  try {
    return codec.encode(isRecordInstance(value) && !takesRecords(codec) ? value.toJSON() : value)
  } catch (cause) {
    if (cause instanceof FaustusError) throw cause
    throw new FaustusError('FST_ENCODE', `codec ${codec.name} could not encode the value: ${messageOf(cause)}`, {
      cause,
      details: { codec: codec.name },
    })
  }
}

function decodeWith(codec: Codec, payload: Buffer, origin: MessageOrigin | undefined): unknown {
  try {
    return codec.decode(payload)
  } catch (cause) {
    if (cause instanceof FaustusError) throw cause
    throw new DecodeError(`codec ${codec.name} could not decode the payload: ${messageOf(cause)}`, origin, {
      cause,
      details: { codec: codec.name },
    })
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function recordSerializer(type: AnyRecordClass, codec: Codec): Serializer<unknown> {
  return {
    codec,
    recordType: type,
    encode(value: unknown) {
      if (value === null || value === undefined) return null
      if (Buffer.isBuffer(value)) return value
      // Any record instance may go (a sub-record, or another record as Faust allows); plain objects are checked.
      return encodeWith(codec, isRecordInstance(value) ? value : new type(value as InitOf<AnyRecordClass>))
    },
    decode(payload: Buffer | null, origin?: MessageOrigin): any {
      if (payload === null) return null
      return decodeRecord(type, decodeWith(codec, payload, origin), origin)
    },
  }
}

function codecSerializer(codec: Codec, records: RecordRegistry | undefined): Serializer<unknown> {
  return {
    codec,
    recordType: undefined,
    encode(value: unknown) {
      if (value === null || value === undefined) return null
      if (Buffer.isBuffer(value)) return value
      return encodeWith(codec, value)
    },
    decode(payload: Buffer | null, origin?: MessageOrigin): any {
      if (payload === null) return null
      const data = decodeWith(codec, payload, origin)
      return records === undefined ? data : reconstruct(data, records, origin)
    },
  }
}
