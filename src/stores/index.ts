export { LmdbStore, LmdbStoreProvider } from './lmdb.ts'
export { MemoryStore, MemoryStoreProvider } from './memory.ts'
export { storeProvider } from './provider.ts'
export type { Store, StoreProvider } from './types.ts'
