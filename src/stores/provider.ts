import { join } from 'node:path'
import { FaustusError } from '../errors.ts'
import { LmdbStoreProvider } from './lmdb.ts'
import { MemoryStoreProvider } from './memory.ts'
import type { StoreProvider } from './types.ts'

/** The provider for a store URL: `memory://`, or `lmdb://<dir>` (relative to the working directory). */
export function storeProvider(url: string, appId: string): StoreProvider {
  if (url === 'memory://' || url === 'memory:' || url === 'memory') return new MemoryStoreProvider()
  const match = /^lmdb:\/\/(.+)$/.exec(url)
  // Each process of `faustus worker --processes N` keeps an LMDB environment of its own (a process locks its own).
  const worker = process.env.FAUSTUS_WORKER_INDEX
  if (match) return new LmdbStoreProvider(match[1], worker ? join(appId, `worker-${worker}`) : appId)
  throw new FaustusError('FST_SETTING_INVALID', `unknown table store "${url}": use memory:// or lmdb://<dir>`, {
    details: { name: 'store', value: url },
  })
}
