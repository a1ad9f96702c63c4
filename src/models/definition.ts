/**
 * The runtime description of a record class, stored on the class under a symbol: its fields in order, compiled
 * checkers for the wire and constructor forms, and the loops that build, convert and write instances.
 */
import { type TObject, Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { firstIssue, joinPath } from './issues.ts'
import type { AnyField, AnyRecordClass, RecordWire } from './types.ts'

export const DEF: unique symbol = Symbol.for('faustus.recordDef')

type Data = Record<string, unknown>

interface Slot {
  name: string
  /** The path of this field at the top level; nested values join their own. */
  path: string
  field: AnyField
}

export class RecordDef {
  readonly namespace: string
  readonly schema: TObject
  /** Compared on re-registration: same namespace and same fingerprint is the same record. */
  readonly fingerprint: string
  readonly #slots: Slot[]
  readonly #wireCheck
  readonly #initCheck
  readonly #prefixes: string[]
  readonly #suffix: string
  #proto: object | undefined

  constructor(namespace: string, fields: ReadonlyMap<string, AnyField>, parent: string | undefined) {
    this.namespace = namespace
    this.#slots = [...fields].map(([name, field]) => ({ name, path: joinPath('', name), field }))
    const wire: Record<string, any> = {}
    const init: Record<string, any> = {}
    for (const { name, field } of this.#slots) {
      wire[name] = field.optional ? Type.Optional(field.schema) : field.schema
      init[name] = field.optional ? Type.Optional(field.initSchema) : field.initSchema
    }
    // The wire form admits unknown fields (a newer producer may add some); constructors reject them.
    this.schema = Type.Object(
      { ...wire, __faust: Type.Optional(Type.Unknown({ description: '{"ns": "<namespace>"}' })) },
      { title: namespace },
    )
    this.#wireCheck = TypeCompiler.Compile(this.schema)
    this.#initCheck = TypeCompiler.Compile(Type.Object(init, { additionalProperties: false }))
    this.fingerprint = JSON.stringify({
      parent,
      fields: this.#slots.map(({ name, field }) => [name, field.kind, field.optional, field.schema]),
    })
    // Wire layout (Faust's to_representation, compact json.dumps): {"a":1,"b":2,"__faust":{"ns":"x.Y"}}
    this.#prefixes = this.#slots.map(({ name }, i) => `${i === 0 ? '{' : ','}${JSON.stringify(name)}:`)
    this.#suffix = `${this.#slots.length === 0 ? '{' : ','}"__faust":{"ns":${JSON.stringify(namespace)}}}`
  }

  get slots(): readonly Slot[] {
    return this.#slots
  }

  bind(cls: AnyRecordClass): void {
    this.#proto = cls.prototype
  }

  /** Fills `target` from constructor input, checking it first. Throws FieldIssue. */
  init(target: Data, input: unknown, path: string): void {
    if (!this.#initCheck.Check(input)) throw firstIssue(this.#initCheck, input, path)
    const data = input as Data
    for (const slot of this.#slots) {
      const value = data[slot.name]
      target[slot.name] = slot.field.coerce ? slot.field.coerce(value, this.#at(path, slot)) : value
    }
  }

  /** A new instance from constructor input (nested records given as plain objects). Throws FieldIssue. */
  create(input: unknown, path: string): object {
    const target = Object.create(this.#proto!)
    this.init(target, input, path)
    return target
  }

  /** A new instance from a wire object, checking it first. Throws FieldIssue. */
  decode(data: unknown, path: string): object {
    if (!this.#wireCheck.Check(data)) throw firstIssue(this.#wireCheck, data, path)
    return this.decodeChecked(data as Data, path)
  }

  /** A new instance from a wire object already checked against this schema (as part of a parent's). */
  decodeChecked(data: Data, path: string): object {
    const target = Object.create(this.#proto!)
    for (const slot of this.#slots) {
      const value = data[slot.name]
      target[slot.name] = slot.field.decode ? slot.field.decode(value, this.#at(path, slot)) : value
    }
    return target
  }

  /** The JSON text of an instance, byte for byte as Python Faust writes it. */
  write(instance: Data): string {
    const slots = this.#slots
    let out = ''
    for (let i = 0; i < slots.length; i++) {
      out += this.#prefixes[i] + slots[i].field.write(instance[slots[i].name])
    }
    return out + this.#suffix
  }

  toWire(instance: Data): RecordWire {
    const out: Data = {}
    for (const { name, field } of this.#slots) {
      const value = instance[name]
      out[name] = field.toWire ? field.toWire(value) : value
    }
    out.__faust = { ns: this.namespace }
    return out as RecordWire
  }

  asDict(instance: Data): Data {
    const out: Data = {}
    for (const { name } of this.#slots) out[name] = instance[name]
    return out
  }

  #at(path: string, slot: Slot): string {
    return path === '' ? slot.path : joinPath(path, slot.name)
  }
}

export function isRecordClass(value: unknown): value is AnyRecordClass {
  return typeof value === 'function' && DEF in value
}

export function defOf(cls: AnyRecordClass): RecordDef {
  return (cls as unknown as { [DEF]: RecordDef })[DEF]
}
