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
  it('interval (app.commit()), revoke and stop checkpoints always flush the stores; ack-count ones at most every 2.5 s', async () => {
    const flush = vi.spyOn(LmdbStoreProvider.prototype, 'flush')
    let now = 1_000_000
    vi.spyOn(Date, 'now').mockImplementation(() => now)
    const manager = await managerWithTable()

    manager.afterFlush('interval')
    expect(flush).toHaveBeenCalledTimes(1)
    // Right after a flush, an ack-count checkpoint leaves the stores to a later one (the changelog backs them).
    now += 100
    manager.afterFlush('acks')
    expect(flush).toHaveBeenCalledTimes(1)
    manager.afterFlush('revoke')
    expect(flush).toHaveBeenCalledTimes(2)
    manager.afterFlush('stop')
    expect(flush).toHaveBeenCalledTimes(3)
    manager.afterFlush('interval')
    expect(flush).toHaveBeenCalledTimes(4)
    now += 2_499
    manager.afterFlush('acks')
    expect(flush).toHaveBeenCalledTimes(4)
    now += 1
    manager.afterFlush('acks')
    expect(flush).toHaveBeenCalledTimes(5)
  })
})
