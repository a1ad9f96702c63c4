import type { MessageOrigin } from '../errors.ts'

/** Encodes and decodes the keys or values of one topic (built by models from a record, codec or codec name). */
export interface Serde<T = unknown> {
  encode(value: T): Buffer | null
  decode(payload: Buffer | null, origin?: MessageOrigin): T
}

/** A record class, a codec object or a codec name, as `keyType`/`valueType` accept. */
export type TypeArg = string | object | undefined

/** The static type a `keyType`/`valueType` argument gives: a record class gives its instances. */
export type TypeOf<T, Fallback = unknown> = T extends abstract new (...args: any) => infer I ? I : Fallback
