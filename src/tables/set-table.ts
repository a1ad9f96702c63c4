import { DecodeError, FaustusError } from '../errors.ts'
import { json } from '../models/codec.ts'
import { jsonText } from '../models/pyjson.ts'
import type { Store } from '../stores/types.ts'
import type { ConsumedRecord } from '../transport/types.ts'
import { Collection } from './collection.ts'
import type { CollectionHost } from './collection-host.ts'
import type { CollectionOptions, WriteOptions } from './types.ts'

/** Faust's set operations (`faust/tables/sets.py`): changelog key `[op, key]`. */
export const SET_ADD = 1
export const SET_DISCARD = 2
export const SET_UPDATE = 15

/**
 * A table of sets (Faust's SetTable): `add`/`discard` members of the set at a key. The changelog holds operations,
 * not values: key `[op, key]`, value the member (add, discard) or `[added, removed]` (update), so it is not
 * compacted. The store holds each key's whole set as a JSON list. Members are compared by their JSON form.
 */
export class SetTable<K = unknown, M = unknown> extends Collection implements Iterable<[K, Set<M>]> {
  constructor(host: CollectionHost, name: string, options: CollectionOptions = {}, global = false) {
    super(host, name, global ? 'set-global' : 'set', options)
  }

  /** A copy of the set at `key` (empty when there is none). */
  get(key: K): Set<M> {
    return new Set(this.#members(key).values())
  }

  has(key: K): boolean {
    return this.lookup(this.encodeKey(key)) !== undefined
  }

  /** Whether `member` is in the set at `key`. */
  includes(key: K, member: M): boolean {
    return this.#members(key).has(jsonText(member))
  }

  add(key: K, member: M, options?: WriteOptions): void {
    this.change(key, { add: [member] }, options, SET_ADD)
  }

  discard(key: K, member: M, options?: WriteOptions): void {
    this.change(key, { discard: [member] }, options, SET_DISCARD)
  }

  /** Adds and removes several members in one changelog record (op 15, value `[added, removed]`). */
  change(
    key: K,
    change: { add?: readonly M[]; discard?: readonly M[] },
    options?: WriteOptions,
    op = SET_UPDATE,
  ): void {
    const partition = this.writePartition(key, options)
    const keyBytes = this.encodeKey(key)
    const members = this.#stored(this.store(partition), keyBytes)
    const added = change.add ?? []
    const removed = change.discard ?? []
    for (const member of added) members.set(this.#identity(member), member)
    for (const member of removed) members.delete(this.#identity(member))
    let value: unknown
    if (op === SET_ADD) value = added[0]
    else if (op === SET_DISCARD) value = removed[0]
    else value = [added, removed]
    const changelogKey = json.encode([op, this.keyCodec.jsonPart(key)])
    this.writeChange(partition, keyBytes, this.#encodeSet(members), changelogKey, this.encodeValue(value))
  }

  *entries(): IterableIterator<[K, Set<M>]> {
    for (const [key, value] of this.storedEntries()) {
      yield [this.decodeKey(key) as K, new Set((this.decodeValue(value) as M[]) ?? [])]
    }
  }

  *keys(): IterableIterator<K> {
    for (const [key] of this.storedEntries()) yield this.decodeKey(key) as K
  }

  [Symbol.iterator](): IterableIterator<[K, Set<M>]> {
    return this.entries()
  }

  get size(): number {
    return this.storedSize()
  }

  #identity(member: unknown): string {
    // Validates the member as a value too (FST_TABLE_VALUE).
    this.encodeValue(member)
    return jsonText(member)
  }

  #members(key: K): Map<string, M> {
    const found = this.lookup(this.encodeKey(key))
    return found === undefined ? new Map() : this.#toMap(this.decodeValue(found.value) as M[])
  }

  #stored(store: Store, keyBytes: Buffer): Map<string, M> {
    const bytes = store.get(keyBytes)
    return bytes === undefined ? new Map() : this.#toMap(this.decodeValue(bytes) as M[])
  }

  #toMap(list: readonly M[]): Map<string, M> {
    return new Map(list.map((member) => [jsonText(member), member]))
  }

  #encodeSet(members: Map<string, M>): Buffer | null {
    return members.size === 0 ? null : json.encode([...members.values()])
  }

  protected applyRecord(store: Store, _partition: number, record: ConsumedRecord): void {
    const corrupt = (why: string) =>
      new FaustusError('FST_DECODE', `set table "${this.name}": ${why}`, {
        details: { topic: record.topic, partition: record.partition, offset: record.offset },
      })
    if (record.key === null) throw corrupt('changelog key is null')
    // `[op, key]` is JSON whatever the key type (as Faust), the key inside in its key type's JSON form.
    let opKey: unknown
    try {
      opKey = json.decode(record.key)
    } catch (cause) {
      throw new DecodeError(`set table "${this.name}": changelog key is not JSON`, record, { cause })
    }
    if (!Array.isArray(opKey) || opKey.length !== 2) throw corrupt('changelog key is not [op, key]')
    const [op, jsonKey] = opKey as [number, unknown]
    const value = record.value === null ? null : this.decodeValue(record.value, record)
    const keyBytes = this.encodeKey(this.keyCodec.fromJsonPart(jsonKey, record))
    const members = this.#stored(store, keyBytes)
    if (op === SET_ADD) members.set(jsonText(value), value as M)
    else if (op === SET_DISCARD) members.delete(jsonText(value))
    else if (op === SET_UPDATE && Array.isArray(value) && value.length === 2) {
      const [added, removed] = value as [M[], M[]]
      for (const member of added ?? []) members.set(jsonText(member), member)
      for (const member of removed ?? []) members.delete(jsonText(member))
    } else throw corrupt(`unknown set operation ${JSON.stringify(op)}`)
    const encoded = this.#encodeSet(members)
    if (encoded === null) store.delete(keyBytes)
    else store.put(keyBytes, encoded)
  }
}

/** A set table every worker holds in full. */
export class SetGlobalTable<K = unknown, M = unknown> extends SetTable<K, M> {
  constructor(host: CollectionHost, name: string, options: CollectionOptions = {}) {
    super(host, name, options, true)
  }
}
