import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { LmdbStoreProvider } from '../../src/stores/lmdb.ts'
import type { TableManager } from '../../src/tables/manager.ts'
import { bareTableManager, lmdbDir } from './helpers.ts'

const dirs: string[] = []
const managers: TableManager[] = []

afterEach(async () => {
  vi.restoreAllMocks()
  await Promise.all(managers.splice(0).map((manager) => manager.stop()))
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A table manager with one LMDB-backed table, started (stores open) with a producer that acknowledges at once. */
async function managerWithTable(): Promise<TableManager> {
  const dir = lmdbDir()
  dirs.push(dir)
  const { manager } = await bareTableManager({ appId: 'flush', storeUrl: `lmdb://${dir}`, partitions: 1 })
  managers.push(manager)
  return manager
}

describe('store flushes at checkpoints', () => {
  it('interval and revoke checkpoints always flush the stores; ack-count ones at most once a second', async () => {
    const flush = vi.spyOn(LmdbStoreProvider.prototype, 'flush')
    const manager = await managerWithTable()

    manager.afterFlush('interval')
    expect(flush).toHaveBeenCalledTimes(1)
    // Right after a flush, an ack-count checkpoint leaves the stores to a later one (the changelog backs them).
    manager.afterFlush('acks')
    expect(flush).toHaveBeenCalledTimes(1)
    manager.afterFlush('revoke')
    expect(flush).toHaveBeenCalledTimes(2)
    manager.afterFlush('stop')
    expect(flush).toHaveBeenCalledTimes(3)
  })
})
