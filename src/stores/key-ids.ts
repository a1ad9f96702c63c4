/**
 * The latin1 string form of key bytes, which the stores use as Map keys (a lossless 1:1 mapping). A table keeps the
 * encoded bytes of its hot keys (one Buffer per key): their string form is made once and kept beside them, so a
 * store write of a hot key neither builds nor hashes a new string. Other buffers are converted each time.
 */
const ids = new WeakMap<Buffer, string>()

export function keyId(key: Buffer): string {
  return ids.get(key) ?? key.toString('latin1')
}

/**
 * Keeps the string form of `key`, a Buffer that is reused and never changed (a table's encoded key); `id` is that
 * form when the caller has made it already.
 */
export function internKeyId(key: Buffer, id: string = key.toString('latin1')): Buffer {
  ids.set(key, id)
  return key
}
