import { expect, it } from 'vitest'
import { app, BankTransfer, TRANSFERS, topic } from '../../examples/groupby.ts'
import { TestDriver } from '../../src/testing/index.ts'

it('groupby under the test driver: each account lands on one partition of the repartition topic', async () => {
  const driver = await new TestDriver(app).start()
  try {
    for (const [account_id, amount] of TRANSFERS) {
      await driver.send(topic, { value: new BankTransfer({ account_id, amount }) })
    }
    await driver.idle()
    const repartition = [...app.topics.keys()].find((name) => name.endsWith('-repartition'))!
    // The repartition topic's keys are the raw bytes of the account id.
    const records = driver.records<BankTransfer, Buffer>(repartition)
    expect(records).toHaveLength(TRANSFERS.length)
    const partitionOf = new Map<string, Set<number>>()
    for (const record of records) {
      const account = String(record.key)
      expect(account).toBe(record.value.account_id)
      const seen = partitionOf.get(account) ?? new Set()
      partitionOf.set(account, seen.add(record.partition))
    }
    for (const partitions of partitionOf.values()) expect(partitions.size).toBe(1)
  } finally {
    await driver.stop()
  }
})
