import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../src/logging.ts'
import { LmdbStoreProvider } from '../../src/stores/lmdb.ts'
import { TableManager } from '../../src/tables/manager.ts'
import { Table } from '../../src/tables/table.ts'
import type { Producer } from '../../src/transport/types.ts'
import { lmdbDir } from './helpers.ts'

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
  const producer: Producer = {
    send: async (records) => records.map((r, offset) => ({ topic: r.topic, partition: r.partition ?? 0, offset })),
    flush: async () => {},
    close: async () => {},
  } as Producer
  const manager = new TableManager({
    appId: 'flush',
    log: createLogger({ level: 'silent' }),
    defaultPartitions: 1,
    storeUrl: `lmdb://${dir}`,
    declareTopic: () => {},
    transport: () => undefined,
    producer: async () => producer,
    consumer: () => undefined,
    sourceTopic: () => undefined,
    crash: (error) => {
      throw error
    },
  })
  manager.add(new Table(manager, 'counts', { partitions: 1 }))
  await manager.start()
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
