import { FaustusError } from '../errors.ts'
import { LmdbStoreProvider } from './lmdb.ts'
import { MemoryStoreProvider } from './memory.ts'
import type { StoreProvider } from './types.ts'

/** The provider for a store URL: `memory://`, or `lmdb://<dir>` (relative to the working directory). */
export function storeProvider(url: string, appId: string): StoreProvider {
  if (url === 'memory://' || url === 'memory:' || url === 'memory') return new MemoryStoreProvider()
  const match = /^lmdb:\/\/(.+)$/.exec(url)
  if (match) return new LmdbStoreProvider(match[1], appId)
  throw new FaustusError('FST_SETTING_INVALID', `unknown table store "${url}": use memory:// or lmdb://<dir>`, {
    details: { name: 'store', value: url },
  })
}
