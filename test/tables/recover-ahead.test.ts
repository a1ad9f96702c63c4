// The rebuild ahead of an exactly-once rewind (TableManager.recoverAhead) must never let uncommitted local state
// through: partitions it did not rebuild, and every partition after a table change made since it started, are still
// cleared by the next assignment, as `rebuildOnAssign` does without it.
import { afterEach, describe, expect, it } from 'vitest'
import type { TableManager } from '../../src/tables/manager.ts'
import type { Table } from '../../src/tables/table.ts'
import { bareTableManager } from './helpers.ts'

const managers: TableManager[] = []

afterEach(async () => {
  await Promise.all(managers.splice(0).map((manager) => manager.stop()))
})

const KEY = Buffer.from('k')
const VALUE = Buffer.from('1')

/** A started manager with one 2-partition memory table; no transport (recovery reads nothing). */
async function managerWithTable(): Promise<{ manager: TableManager; table: Table<unknown, unknown> }> {
  const made = await bareTableManager({ appId: `ahead-${Math.random()}`, storeUrl: 'memory://', partitions: 2 })
  managers.push(made.manager)
  return made
}

function assign(manager: TableManager, table: Table<unknown, unknown>, partitions: number[]): Promise<void> {
  return manager.onAssigned({
    actives: partitions.map((partition) => ({ topic: table.changelogTopic, partition })),
    standbys: [],
  })
}

describe('TableManager.recoverAhead', () => {
  it('keeps what it rebuilt for the assignment that ends the rewind', async () => {
    const { manager, table } = await managerWithTable()
    await assign(manager, table, [0])
    manager.rollback()
    await manager.recoverAhead()
    // What the rebuild read from the committed changelog (no transport here: put in by hand).
    table.store(0).put(KEY, VALUE)
    await assign(manager, table, [0])
    expect(table.store(0).get(KEY)).toEqual(VALUE)
  })

  it('a partition it did not rebuild (not yet assigned) is cleared by the assignment', async () => {
    const { manager, table } = await managerWithTable()
    // As at the start of an exactly-once worker: the stores may hold changes of a transaction that never committed.
    manager.rebuildOnAssign = true
    table.store(1).put(KEY, VALUE)
    await manager.recoverAhead()
    await assign(manager, table, [1])
    expect(table.store(1).get(KEY)).toBeUndefined()
  })

  it('a table change after it started makes the assignment rebuild every partition', async () => {
    const { manager, table } = await managerWithTable()
    await assign(manager, table, [0])
    manager.rollback()
    await manager.recoverAhead()
    // A timer changed the table during the rewind: its change would be in no committed transaction.
    table.store(0).put(KEY, VALUE)
    manager.writeChangelog({ topic: table.changelogTopic, partition: 0, key: KEY, value: VALUE })
    await assign(manager, table, [0])
    expect(table.store(0).get(KEY)).toBeUndefined()
  })
})
