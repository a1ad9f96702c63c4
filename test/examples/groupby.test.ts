import { expect, it } from 'vitest'
import { run, TRANSFERS } from '../../examples/groupby.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'

it('groupby: all transfers of one account reach the same partition, keeping a running total', async () => {
  const { repartitionTopic, received, totals, lines } = await run()
  // Faust's name: {agent name}-{source topic}-{Model.field}-repartition
  expect(repartitionTopic).toBe('stream-groupby-BankTransfer.account_id-repartition')
  expect(received).toHaveLength(TRANSFERS.length)
  const byAccount = (rows: { account: string; amount: number }[]) =>
    Object.fromEntries(
      ['alice', 'bob', 'carol', 'dave'].map((account) => [
        account,
        rows
          .filter((row) => row.account === account)
          .map((row) => row.amount)
          .sort((a, b) => a - b),
      ]),
    )
  expect(byAccount(received)).toEqual(byAccount(TRANSFERS.map(([account, amount]) => ({ account, amount }))))
  // Keyed by account id, each account lands on the partition Kafka's partitioner picks for it (8 partitions).
  for (const { account, partition } of received) {
    expect(partition).toBe(partitionForKey(Buffer.from(account), 8))
  }
  expect(new Set(received.map((row) => `${row.account}@${row.partition}`)).size).toBe(4)
  expect(totals).toEqual({ alice: 100, bob: 21, carol: 7.5, dave: 100 })
  expect(lines).toHaveLength(TRANSFERS.length)
  expect(lines).toContain('dave: 100.00 on partition 6, total 100.00')
})
