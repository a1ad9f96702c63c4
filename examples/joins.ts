// Joins (docs/joins.md). Faust's agents guide: "A two-way join works by waiting until it has a message from both
// topics ... the best practice is to use the @app.task decorator instead, to launch a task when the app starts, that
// manually iterates over the joined stream". Here: orders joined with their payments within an hour (a windowed
// stream–stream join, run from a task as the guide advises), and each order enriched with its customer's name (a
// stream–table join).
import { App, float, joinTables, record, type Stream, str } from '../src/index.ts'

export const Order = record('examples.joins.Order', { id: str(), customer: str(), item: str() })
export const Payment = record('examples.joins.Payment', { order: str(), amount: float() })

export const app = new App('joins', { broker: 'memory://examples-joins', logLevel: 'warn', topicPartitions: 4 })
// Both keyed by the order id, with as many partitions: co-partitioned.
export const orders = app.topic('orders', { keyType: 'json', valueType: Order })
export const payments = app.topic('payments', { keyType: 'json', valueType: Payment })
export const customersIn = app.topic('customers', { keyType: 'json', valueType: 'json' })
export const paid = app.topic('paid-orders', { keyType: 'json', valueType: 'json' })
export const unpaid = app.topic('unpaid-orders', { keyType: 'json', valueType: 'json' })

// A customer table kept by an agent, read by the stream–table join (global: any worker can look any customer up).
export const customers = app.globalTable<string, string>('customer-names')
app.agent(customersIn, async function keepCustomers(stream: Stream<string, string>) {
  for await (const event of stream.events()) customers.set(event.key, event.value)
})

const HOUR = 3_600_000

// The seed's `(topic1.stream() & topic2.stream()).join(...)`, from a task. Built at the top of the task, before
// its first await: its state tables are declared with the app's.
app.task(async function payOrders() {
  const joined = orders.stream().leftJoin(payments.stream(), {
    name: 'order-payments',
    within: HOUR,
    grace: 60_000,
    joiner: (order, payment) => ({
      order: order.id,
      item: order.item,
      customer: order.customer,
      paid: payment?.amount ?? null,
    }),
  })
  for await (const event of joined.events()) {
    const result = event.value
    // Unpaid orders come out once their hour (and the grace minute) has passed, with paid: null.
    await (result.paid === null ? unpaid : paid).send({ key: event.key, value: result })
  }
})

// Stream–table join: every paid order with its customer's name (null when unknown: a left join).
export const receipts = app.topic('receipts', { keyType: 'json', valueType: 'json' })
app.task(async function enrich() {
  const enriched = (paid.stream() as Stream<{ customer: string; item: string; paid: number }, string>).leftJoinTable(
    customers,
    {
      key: (order) => order.customer,
      joiner: (order, name) => `${name ?? order.customer} paid ${order.paid} for ${order.item}`,
    },
  )
  for await (const line of enriched) await receipts.send({ value: line })
})

// Table–table join: the latest order and the latest payment per order id, as one table.
export const lastOrders = app.table<string, string>('last-orders', { partitions: 4 })
export const lastPayments = app.table<string, number>('last-payments', { partitions: 4 })
export const orderStatus = joinTables(lastOrders, lastPayments, {
  kind: 'left',
  joiner: (item, amount) => (amount === null ? `${item}: unpaid` : `${item}: paid ${amount}`),
})
app.agent(orders, async function lastOrder(stream) {
  for await (const event of stream.events()) lastOrders.set(event.key as string, event.value.item)
})
app.agent(payments, async function lastPayment(stream) {
  for await (const event of stream.events()) lastPayments.set(event.key as string, event.value.amount)
})
