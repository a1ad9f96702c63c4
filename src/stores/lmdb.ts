import { join } from 'node:path'
import { type Database, open, type RootDatabase } from 'lmdb'
import { FaustusError } from '../errors.ts'
import { keyId } from './key-ids.ts'
import { type KeyOrder, keyOrder, nextId } from './key-order.ts'
import { type DirectoryLock, lockDirectory } from './lock.ts'
import type { Store, StoreProvider, StoreSlot } from './types.ts'

/** Where Faust keeps the applied offset in a table partition's store (the value is ASCII decimal). */
const OFFSET_KEY = Buffer.from('__faust\u0000offset__')
const META_PREFIX = '__faustus\u0000'
/** Writes buffered before they are committed in one transaction (LMDB commits are the costly part). */
const MAX_PENDING = 50_000

const OFFSET_PREFIX = Buffer.from('__faust\u0000')
const META = Buffer.from(META_PREFIX)

/** The reserved keys (applied offset, meta values) that share a partition's database with the data. */
function isMetaKey(key: Buffer): boolean {
  return key[0] === 0x5f && key[1] === 0x5f && (startsWith(key, OFFSET_PREFIX) || startsWith(key, META))
}

/** `isMetaKey` of a key's latin1 form. */
function isMetaId(id: string): boolean {
  return id.startsWith('__faust\u0000') || id.startsWith(META_PREFIX)
}

function startsWith(key: Buffer, prefix: Buffer): boolean {
  return key.length >= prefix.length && key.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
}

/** LMDB's limit on key size (its default build, as lmdb-js ships it). */
export const LMDB_MAX_KEY_BYTES = 1978

/**
 * A key LMDB cannot hold fails when it is written, not at the next commit (a checkpoint, or recovery, where it
 * would stop the app, every time it restarts): empty, over LMDB's size limit, or one of the reserved keys.
 */
function checkKey(store: string, key: Buffer): Buffer {
  let why: string | undefined
  if (key.length === 0) why = 'an empty key cannot be stored in LMDB'
  else if (key.length > LMDB_MAX_KEY_BYTES) {
    why = `a key of ${key.length} bytes is over LMDB's limit of ${LMDB_MAX_KEY_BYTES} bytes (use shorter keys)`
  } else if (isMetaKey(key)) why = 'keys starting with "__faust\\0" or "__faustus\\0" are reserved by the store'
  if (why === undefined) return key
  throw new FaustusError('FST_TABLE_KEY', `LMDB store ${store}: ${why}`, {
    details: { store, keyBytes: key.length },
  })
}

/**
 * One table partition in a named LMDB database. Writes go to a pending map first (read-your-writes through it) and
 * are committed in one write transaction at `flush()` (every checkpoint) or when many are pending: LMDB does about
 * 1M puts/s in batches but a few thousand commits/s.
 */
export class LmdbStore implements Store {
  readonly #db: Database<Buffer, Buffer>
  readonly #env: RootDatabase
  readonly #name: string
  /** Writes not committed yet, by the latin1 form of the key. */
  readonly #pending = new Map<string, Pending>()
  /** Bumped when the pending writes are committed or dropped: a slot staged in an older round stages again. */
  #round = 0
  /** The pending keys in order, built by the first `range` (a join's store) and kept up to date from then on. */
  #pendingOrder: KeyOrder | undefined
  /** Ranges being iterated: pending writes are not committed under them (they read the pending keys). */
  #ranging = 0
  #offset: number | undefined
  /** Inside `batch`: writes go straight into the open write transaction. */
  #direct = false

  constructor(env: RootDatabase, db: Database<Buffer, Buffer>, name = '') {
    this.#name = name
    this.#env = env
    this.#db = db
    const stored = db.getBinary(OFFSET_KEY)
    this.#offset = stored === undefined ? undefined : Number(stored.toString('latin1'))
  }

  get(key: Buffer): Buffer | undefined {
    const pending = this.#pending.get(keyId(key))
    if (pending !== undefined) return pending.value ?? undefined
    return this.#db.getBinary(key)
  }

  put(key: Buffer, value: Buffer): void {
    this.#stage(checkKey(this.#name, key), value)
  }

  delete(key: Buffer): void {
    this.#stage(checkKey(this.#name, key), null)
  }

  #stage(key: Buffer, value: Buffer | null): void {
    if (this.#direct) {
      if (value === null) this.#db.removeSync(key)
      else this.#db.putSync(key, value)
      return
    }
    const id = keyId(key)
    const pending = this.#pending.get(id)
    if (pending !== undefined) pending.value = value
    else this.#addPending(new Pending(key, id, value))
  }

  slot(key: Buffer): StoreSlot {
    return new LmdbSlot(this, checkKey(this.#name, key), keyId(key))
  }

  /** A write through a slot: staged without a lookup when the slot is already pending in this round. */
  stageSlot(slot: LmdbSlot, value: Buffer): void {
    if (this.#direct) {
      this.#db.putSync(slot.key, value)
      return
    }
    // A slot staged in this round is the key's pending write (see `Pending.round`): a rewrite is an assignment.
    if (slot.round === this.#round) {
      slot.value = value
      return
    }
    const previous = this.#pending.get(slot.id)
    if (previous !== undefined) previous.round = -1
    slot.value = value
    this.#addPending(slot)
  }

  #addPending(pending: Pending): void {
    pending.round = this.#round
    this.#pending.set(pending.id, pending)
    this.#pendingOrder?.set(pending.id, true)
    if (this.#pending.size >= MAX_PENDING && this.#ranging === 0) this.flush()
  }

  /** A snapshot after committing what is pending: an iteration may span awaits and checkpoints. */
  *entries(): Iterable<[Buffer, Buffer]> {
    this.flush()
    for (const { key, value } of this.#db.getRange()) {
      if (!isMetaKey(key)) yield [key, value]
    }
  }

  /**
   * The committed entries merged with the pending writes, in key order, without committing them: a join looks a
   * range up for every record, and a commit per lookup would cost more than the join. For lookups iterated at once
   * (a checkpoint's commit in the middle would hide the entries it moved); `entries` is the snapshot for longer walks.
   */
  *range(from?: Buffer, to?: Buffer): Iterable<[Buffer, Buffer]> {
    const order = (this.#pendingOrder ??= keyOrder(this.#pending.keys()))
    const pending = this.#pending
    const end = to?.toString('latin1')
    let staged = nextId(order, from?.toString('latin1'), end)
    /** The pending entries up to `id` (all that remain without it); `id` itself goes with its committed entry. */
    function* stagedUpTo(id?: string): Generator<[Buffer, Buffer]> {
      for (; staged !== undefined && (id === undefined || staged <= id); staged = nextId(order, staged, end, true)) {
        if (staged === id) continue
        const value = pending.get(staged)?.value
        if (value != null && !isMetaId(staged)) yield [Buffer.from(staged, 'latin1'), value]
      }
    }
    this.#ranging++
    try {
      for (const { key, value } of this.#db.getRange({ start: from, end: to })) {
        if (isMetaKey(key)) continue
        const id = key.toString('latin1')
        yield* stagedUpTo(id)
        const written = pending.get(id)?.value
        if (written !== null) yield [key, written ?? value]
      }
      yield* stagedUpTo()
    } finally {
      this.#ranging--
    }
  }

  get size(): number {
    this.flush()
    let metas = 0
    for (const key of this.#db.getKeys({ start: Buffer.from('__faust'), end: Buffer.from('__fausu') })) {
      if (isMetaKey(key)) metas++
    }
    return this.#db.getCount() - metas
  }

  appliedOffset(): number | undefined {
    return this.#offset
  }

  setAppliedOffset(offset: number): void {
    this.#offset = offset
    this.#stage(OFFSET_KEY, Buffer.from(String(offset), 'latin1'))
  }

  meta(name: string): string | undefined {
    return this.get(Buffer.from(META_PREFIX + name))?.toString('utf8')
  }

  setMeta(name: string, value: string): void {
    this.#stage(Buffer.from(META_PREFIX + name), Buffer.from(value))
  }

  batch(fn: () => void): void {
    this.flush()
    this.#direct = true
    try {
      this.#env.transactionSync(fn)
    } finally {
      this.#direct = false
    }
  }

  flush(): void {
    if (this.#pending.size === 0) return
    this.#env.transactionSync(() => this.writePending())
  }

  /** Writes what is pending; the caller holds a write transaction. */
  writePending(): void {
    const db = this.#db
    for (const { key, value } of this.#pending.values()) {
      if (value === null) db.removeSync(key)
      else db.putSync(key, value)
    }
    this.#pending.clear()
    this.#pendingOrder?.clear()
    this.#round++
  }

  clear(): void {
    this.#pending.clear()
    this.#pendingOrder?.clear()
    this.#round++
    this.#env.transactionSync(() => this.#db.clearSync())
    this.#offset = undefined
  }
}

/** A write waiting for the next commit (null: a delete). */
class Pending {
  readonly key: Buffer
  readonly id: string
  value: Buffer | null
  /**
   * The round this write is pending in while it is the key's entry in the pending map, else -1 (committed,
   * dropped, or replaced by another slot of the key).
   */
  round = -1

  constructor(key: Buffer, id: string, value: Buffer | null) {
    this.key = key
    this.id = id
    this.value = value
  }
}

/** One key of an LMDB store (see `Store.slot`): pending itself, once per commit round, so a rewrite is no lookup. */
class LmdbSlot extends Pending implements StoreSlot {
  readonly #store: LmdbStore

  constructor(store: LmdbStore, key: Buffer, id: string) {
    super(key, id, null)
    this.#store = store
  }

  put(value: Buffer): void {
    this.#store.stageSlot(this, value)
  }
}

/**
 * The LMDB stores of one app: one environment in `<dir>/<appId>` (locked against other processes), one named
 * database per table partition (`<table>-<partition>`).
 */
export class LmdbStoreProvider implements StoreProvider {
  readonly kind = 'lmdb'
  readonly persistent = true
  readonly path: string
  readonly #stores = new Map<string, LmdbStore>()
  #env: RootDatabase | undefined
  #lock: DirectoryLock | undefined

  constructor(dir: string, appId: string) {
    this.path = join(dir, appId)
  }

  #open(): RootDatabase {
    if (this.#env !== undefined) return this.#env
    this.#lock = lockDirectory(this.path)
    try {
      this.#env = open({ path: this.path, maxDbs: 4096, noMemInit: true })
    } catch (error) {
      this.#lock.release()
      throw new FaustusError('FST_STORE', `cannot open LMDB store at ${this.path}: ${(error as Error).message}`, {
        cause: error,
        details: { path: this.path },
      })
    }
    return this.#env
  }

  open(table: string, partition: number): Store {
    const name = `${table}-${partition}`
    let store = this.#stores.get(name)
    if (store === undefined) {
      const env = this.#open()
      const db = env.openDB<Buffer, Buffer>(name, { encoding: 'binary', keyEncoding: 'binary' })
      this.#stores.set(name, (store = new LmdbStore(env, db, name)))
    }
    return store
  }

  flush(): void {
    const env = this.#env
    if (env === undefined) return
    env.transactionSync(() => {
      for (const store of this.#stores.values()) store.writePending()
    })
  }

  async close(): Promise<void> {
    const env = this.#env
    if (env === undefined) return
    this.flush()
    this.#stores.clear()
    this.#env = undefined
    await env.close()
    this.#lock?.release()
    this.#lock = undefined
  }
}
