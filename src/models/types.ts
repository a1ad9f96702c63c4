/**
 * The static side of records: what a field carries, and how a record's shape becomes its constructor argument,
 * its instance type and its `fields` descriptors. Runtime code lives in field builders and `record.ts`.
 */
import type { TObject, TSchema } from '@sinclair/typebox'
import type { MessageOrigin } from '../errors.ts'
import type { Codec } from './codec.ts'
import type { Writer } from './pyjson.ts'
import type { RecordRegistry } from './registry.ts'

/**
 * One field type. `V` is the value an instance holds, `I` what the constructor accepts, `O` whether the field may
 * be omitted. `schema` describes the JSON (wire) form and is checked on decode; `initSchema` is checked on
 * construction. The hooks exist only where the two forms differ (dates, nested records, defaults), so plain
 * fields cost nothing beyond the compiled check.
 */
export interface Field<V = unknown, I = V, O extends boolean = boolean> {
  readonly kind: string
  readonly optional: O
  readonly schema: TSchema
  readonly initSchema: TSchema
  /** Wire value (already checked against `schema`) to instance value. */
  readonly decode?: (wire: unknown, path: string) => V
  /** Constructor value (already checked against `initSchema`) to instance value. */
  readonly coerce?: (init: unknown, path: string) => V
  /** Instance value to the plain JSON value `toJSON()` returns. */
  readonly toWire?: (value: V) => unknown
  /** Instance value to JSON text as Python Faust writes it. */
  readonly write: Writer<V>
  /** Type-level only: lets `record()` infer value and init types. */
  readonly __types?: { value: V; init: I }
}

export type AnyField = Field<any, any, boolean>

/** What a record's field map may hold: a field type, or a record class for a nested record. */
export type FieldSpec = AnyField | AnyRecordClass

export type Shape = { readonly [name: string]: FieldSpec }

export type SpecValue<F> = F extends RecordClass<infer S> ? RecordOf<S> : F extends Field<infer V, any, any> ? V : never

export type SpecInit<F> =
  F extends RecordClass<infer S> ? RecordOf<S> | RecordInit<S> : F extends Field<any, infer I, any> ? I : never

type OptionalKeys<S> = { [K in keyof S]: S[K] extends Field<any, any, true> ? K : never }[keyof S]
type RequiredKeys<S> = Exclude<keyof S, OptionalKeys<S>>
type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** The constructor argument: every field, optional ones may be left out; nested records as instances or objects. */
export type RecordInit<S extends Shape> = Simplify<
  { [K in RequiredKeys<S>]: SpecInit<S[K]> } & { [K in OptionalKeys<S>]?: SpecInit<S[K]> }
>

/** The fields of an instance as plain data. */
export type RecordData<S extends Shape> = { -readonly [K in keyof S]: SpecValue<S[K]> }

/** The JSON object a record is on the wire: its fields, then the namespace. */
export type RecordWire = { [field: string]: unknown; __faust: { ns: string } }

export interface RecordMethods<S extends Shape> {
  /** The Faust wire object: fields in declaration order, then `__faust: { ns }`. */
  toJSON(): RecordWire
  /** The fields as a plain object (nested records stay instances). */
  asDict(): RecordData<S>
}

export type RecordOf<S extends Shape> = Readonly<RecordData<S>> & RecordMethods<S>

/** `Add.fields.a`: names a field for `groupBy` and for repartition topic names. */
export interface FieldRef<R = AnyRecordClass, K extends string = string> {
  readonly record: R
  readonly name: K
  /** Faust's `<Model>.<field>`, the model being the last dot-segment of the namespace. */
  readonly qualifiedName: string
  readonly field: AnyField
}

export type FieldRefs<R, S extends Shape> = { readonly [K in keyof S & string]: FieldRef<R, K> }

/** Merging fields of `extend`: later definitions replace earlier ones of the same name. */
export type Merge<A extends Shape, B extends Shape> = Simplify<Omit<A, keyof B> & B>

export interface RecordOptions {
  /** Registry to register in; the default one otherwise. */
  registry?: RecordRegistry
  /** Codec (or codec name) for this record, overriding the topic's (Faust's `serializer=` class option). */
  serializer?: string | Codec
}

export interface RecordClass<S extends Shape> {
  new (init: RecordInit<S>): RecordOf<S>
  readonly prototype: RecordOf<S>
  /** Faust's `ns`: written as `__faust.ns`, used to pick the class when decoding. */
  readonly namespace: string
  /** The last dot-segment of the namespace, as Faust's model class name. */
  readonly shortName: string
  readonly fields: FieldRefs<RecordClass<S>, S>
  /** The field types as declared (nested record classes included). */
  readonly shape: S
  /** JSON Schema of the wire form. */
  readonly schema: TObject
  readonly registry: RecordRegistry
  readonly serializer: string | Codec | undefined
  /** Builds an instance from the wire object; a `__faust.ns` naming another registered record picks that class. */
  fromJSON(data: unknown, origin?: MessageOrigin): RecordOf<S>
  /** A sub-record: this record's fields then `more`; instances are `instanceof` this class. */
  extend<M extends Shape>(namespace: string, more: M, options?: RecordOptions): RecordClass<Merge<S, M>>
}

export type AnyRecordClass = RecordClass<any>

export type InstanceOf<R> = R extends RecordClass<infer S> ? RecordOf<S> : never
export type InitOf<R> = R extends RecordClass<infer S> ? RecordInit<S> : never
