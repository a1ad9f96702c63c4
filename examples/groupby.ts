// Faust's agents guide, "The Stream": repartitioning a stream with group_by, so that all transfers of one account
// reach the same partition (and so the same agent instance), whatever partition they were sent to.
import { App, float, record, type Stream, str } from '../src/index.ts'
import { isMain, Output, until } from './support.ts'

export const BankTransfer = record('examples.groupby.BankTransfer', { account_id: str(), amount: float() })
export type BankTransfer = InstanceType<typeof BankTransfer>

export const app = new App('groupby', { broker: 'memory://examples-groupby', logLevel: 'warn', topicPartitions: 8 })
export const topic = app.topic('groupby', { valueType: BankTransfer })

const out = new Output()

/** What the agent saw of each transfer after the repartition. */
export interface Received {
  account: string
  amount: number
  /** The partition of the repartition topic the transfer arrived on. */
  partition: number | undefined
}

const received: Received[] = []
const totals = new Map<string, number>()

export const stream = app.agent(topic, async function stream(s: Stream<BankTransfer>) {
  // Transfers are sent again, keyed by account id, to the repartition topic
  // `stream-groupby-BankTransfer.account_id-repartition`; this stream reads that topic.
  const byAccount = s.groupBy(BankTransfer.fields.account_id)
  for await (const transfer of byAccount) {
    // Transfers with the same account_id always arrive at the same partition, so at the same agent instance:
    // a running total per account is safe to keep here.
    const partition = byAccount.current?.partition
    const total = (totals.get(transfer.account_id) ?? 0) + transfer.amount
    totals.set(transfer.account_id, total)
    received.push({ account: transfer.account_id, amount: transfer.amount, partition })
    out.print(
      `${transfer.account_id}: ${transfer.amount.toFixed(2)} on partition ${partition}, total ${total.toFixed(2)}`,
    )
  }
})

/** Transfers sent without a key: the source topic spreads them over its partitions round-robin. */
export const TRANSFERS: [string, number][] = [
  ['alice', 10.5],
  ['bob', 20.25],
  ['carol', 5],
  ['alice', 4.5],
  ['bob', 0.75],
  ['alice', 85],
  ['carol', 2.5],
  ['dave', 100],
]

export interface GroupByRun {
  /** The name of the repartition topic the agent's groupBy created. */
  repartitionTopic: string | undefined
  received: Received[]
  /** Running total per account once every transfer arrived. */
  totals: Record<string, number>
  lines: string[]
}

export async function run(options: { echo?: boolean } = {}): Promise<GroupByRun> {
  out.reset(options.echo)
  received.length = 0
  totals.clear()
  await app.start()
  try {
    for (const [account_id, amount] of TRANSFERS) await topic.send({ value: new BankTransfer({ account_id, amount }) })
    await until(() => received.length === TRANSFERS.length, 5000, 'every transfer to be repartitioned')
  } finally {
    await app.stop()
  }
  const repartitionTopic = [...app.topics.keys()].find((name) => name.endsWith('-repartition'))
  return { repartitionTopic, received: [...received], totals: Object.fromEntries(totals), lines: out.lines }
}

if (isMain(import.meta.url)) {
  const { repartitionTopic } = await run({ echo: true })
  console.log(`(repartitioned through ${repartitionTopic})`)
}
