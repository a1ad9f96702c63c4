import { expect, it } from 'vitest'
import { applyManifests, loadManifests } from '../../src/declarative/index.ts'
import { App, type Stream } from '../../src/index.ts'
import { brokerOf, stopAfterEach, waitFor } from '../helpers.ts'
import { collector, manifestDir, memoryBroker, quiet, sorted } from './helpers.ts'

// Every operation kind (filter, map as an expression, map as a body, map yielding several values, groupBy,
// topicSend) and every output selector, in manifests...
const MANIFESTS = `
apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: order-router
spec:
  input:
    topic:
      name: orders
  processors:
    init:
      javascript: |
        const VAT = { eu: 1.2, us: 1.0, apac: 1.1 }
    pipeline: [paid, priced, by-region, lines, route]
    operations:
      - name: paid
        filter:
          javascript: value.status === 'paid'
      - name: priced
        map:
          javascript: |
            const total = Math.round(value.price * value.qty * VAT[value.region] * 100) / 100
            return { ...value, total }
      - name: by-region
        groupBy:
          javascript: value.region
          name: region
      - name: lines
        map:
          javascript: |
            for (const sku of value.skus) yield { order: value.id, region: value.region, sku, total: value.total }
      - name: route
        topicSend:
          name: order-lines
---
apiVersion: faustus.io/v1alpha1
kind: Agent
metadata:
  name: line-summary
spec:
  input:
    topic:
      name: order-lines
  processors:
    operations:
      - name: not-gift
        filter:
          javascript: "!value.sku.startsWith('gift')"
      - name: label
        map:
          typescript: "({ ...value, label: \`\${value.order}/\${value.sku}\` as string })"
  output:
    topics:
      - name: summaries
        predicate:
          javascript: value.total < 1000
        keySelector:
          javascript: value.sku
        valueSelector:
          javascript: "({ label: value.label, total: value.total })"
        partitionSelector:
          javascript: "value.region === 'eu' ? 0 : 1"
        headersSelector:
          javascript: "({ region: value.region, source: event.topic })"
`

// ...and the same pipelines as code agents.
const VAT: Record<string, number> = { eu: 1.2, us: 1.0, apac: 1.1 }
interface Order {
  id: string
  status: string
  region: string
  price: number
  qty: number
  skus: string[]
  total?: number
}
interface Line {
  order: string
  region: string
  sku: string
  total: number
}

function codeAgents(app: App): void {
  const orderLines = app.topic('order-lines')
  const summaries = app.topic('summaries')
  app.agent(
    app.topic('orders'),
    async (stream: Stream<Order>) => {
      const grouped = stream
        .filter((order) => order.status === 'paid')
        .map((order) => ({ ...order, total: Math.round(order.price * order.qty * VAT[order.region] * 100) / 100 }))
        .groupBy((order) => order.region, { name: 'region' })
      for await (const event of grouped.events()) {
        const order = event.value as Order
        for (const sku of order.skus) {
          // A topicSend without keySelector sends no key (as Kaspr).
          await orderLines.send({ value: { order: order.id, region: order.region, sku, total: order.total } })
        }
      }
    },
    { name: 'order-router' },
  )
  app.agent(
    orderLines,
    async (stream: Stream<Line>) => {
      for await (const event of stream.events()) {
        const line = event.value
        if (line.sku.startsWith('gift')) continue
        const labelled = { ...line, label: `${line.order}/${line.sku}` }
        if (!(labelled.total < 1000)) continue
        await summaries.send({
          key: labelled.sku,
          value: { label: labelled.label, total: labelled.total },
          partition: labelled.region === 'eu' ? 0 : 1,
          headers: { region: labelled.region, source: event.topic! },
        })
      }
    },
    { name: 'line-summary' },
  )
}

const ORDERS: Order[] = [
  { id: 'o1', status: 'paid', region: 'eu', price: 10, qty: 2, skus: ['book', 'pen'] },
  { id: 'o2', status: 'cart', region: 'us', price: 5, qty: 1, skus: ['pen'] },
  { id: 'o3', status: 'paid', region: 'us', price: 400, qty: 3, skus: ['tv', 'gift-card'] },
  { id: 'o4', status: 'paid', region: 'apac', price: 3.5, qty: 4, skus: ['tea'] },
  { id: 'o5', status: 'paid', region: 'eu', price: 1, qty: 1, skus: [] },
  { id: 'o6', status: 'paid', region: 'apac', price: 12, qty: 1, skus: ['mug', 'gift-wrap', 'tea'] },
]

const running = stopAfterEach()

async function outputs(define: (app: App) => Promise<void> | void) {
  const broker = memoryBroker()
  const app = new App('shop', { ...quiet, broker })
  await define(app)
  const client = collector(broker, ['order-lines', 'summaries'])
  running.push(app, client.app)
  await app.start()
  await client.app.start()
  const orders = client.app.topic('orders')
  for (const order of ORDERS) await orders.send({ key: order.id, value: order })
  await waitFor(
    () => client.received.summaries.length === 5 && client.received['order-lines'].length === 8,
    4000,
    'outputs',
  )
  return {
    // Keyless records (no keySelector) are spread over partitions: compare them without their partition.
    lines: sorted(client.received['order-lines'].map(({ partition: _, ...line }) => line)),
    summaries: sorted(client.received.summaries),
    repartition: brokerOf(app).topic('order-router-orders-region-repartition') !== undefined,
  }
}

it('a manifest mixing every operation kind produces the same outputs as the equivalent code agents', async () => {
  const dir = manifestDir({ 'shop.yaml': MANIFESTS })
  const declared = await outputs(async (app) => {
    await applyManifests(app, await loadManifests(dir))
  })
  const coded = await outputs(codeAgents)
  expect(declared).toEqual(coded)
  expect(declared.repartition).toBe(true)
  expect(declared.lines).toHaveLength(8)
  expect(declared.summaries.map((s) => s.value)).toContainEqual({ label: 'o6/mug', total: 13.2 })
  expect(declared.summaries.find((s) => s.key === 'book')).toMatchObject({
    partition: 0,
    headers: { region: 'eu', source: 'order-lines' },
  })
})
