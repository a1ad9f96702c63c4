import { createRequire } from 'node:module'

// sorted-btree is CommonJS with its class under `default`; required, so Node and vitest's transform agree on it.
const { default: BTree } = createRequire(import.meta.url)('sorted-btree') as typeof import('sorted-btree')

/**
 * Key ids (the latin1 form of key bytes, which compare as the bytes do) in order, in a B+ tree: a range lookup, an
 * insert and a delete cost O(log n), where a sorted array shifts the whole store on each insert.
 */
export type KeyOrder = InstanceType<typeof BTree<string, true>>

export function keyOrder(ids: Iterable<string>): KeyOrder {
  return new BTree<string, true>(Array.from(ids, (id): [string, true] => [id, true]))
}

/**
 * The first id at or after `from` (after it, when `exclusive`; the smallest when `from` is undefined) and before
 * `end`. Stepping with it from the last id given is safe while the caller writes to the order.
 */
export function nextId(order: KeyOrder, from: string | undefined, end: string | undefined, exclusive = false) {
  const id =
    from === undefined ? order.minKey() : exclusive ? order.nextHigherKey(from) : order.getPairOrNextHigher(from)?.[0]
  return id !== undefined && (end === undefined || id < end) ? id : undefined
}
