/** Records, field types, codecs and serializers: the public surface of `models/`. */
export { binary, type Codec, composeCodecs, json, raw } from './codec.ts'
export { CodecRegistry, codecs, getCodec, registerCodec } from './codecs.ts'
export { list, map, type OptionalOptions, optional } from './containers.ts'
export { decodeRecord, reconstruct } from './decode.ts'
export { isRecordClass } from './definition.ts'
export { any, bool, date, decimal, float, int, literal, str } from './fields.ts'
export { record } from './record.ts'
export { RecordRegistry, records } from './registry.ts'
export {
  DEFAULT_KEY_CODEC,
  DEFAULT_VALUE_CODEC,
  type Serializer,
  type SerializerOptions,
  serializerFor,
} from './serializer.ts'
export type {
  AnyRecordClass,
  Field,
  FieldRef,
  FieldSpec,
  InitOf,
  InstanceOf,
  RecordClass,
  RecordData,
  RecordInit,
  RecordOf,
  RecordOptions,
  RecordWire,
  Shape,
} from './types.ts'
