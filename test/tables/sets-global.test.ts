import { afterEach, describe, expect, it } from 'vitest'
import type { Stream } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { memoryBroker, readTopic, stopWorkers, worker } from './helpers.ts'

afterEach(stopWorkers)

interface Op {
  user: string
  op: 'add' | 'discard' | 'change'
  item: string
}

function orders(broker: string) {
  const app = worker('sets', broker, { topicPartitions: 2 })
  const ops = app.topic('ops', { valueType: 'json' })
  const carts = app.setTable<string, string>('carts')
  let processed = 0
  app.agent(ops, async function apply(stream: Stream<Op>) {
    for await (const { user, op, item } of stream) {
      if (op === 'add') carts.add(user, item)
      else if (op === 'discard') carts.discard(user, item)
      else carts.change(user, { add: [item, `${item}-2`], discard: ['apple'] })
      processed++
    }
  })
  const send = (value: Op) => ops.send({ key: value.user, value })
  return { app, carts, send, processed: () => processed }
}

describe('set tables', () => {
  it('add/discard/change with Faust changelog keys [op, key], recovered by a new worker', async () => {
    const broker = memoryBroker()
    const first = orders(broker)
    await first.app.start()
    await first.send({ user: 'ann', op: 'add', item: 'apple' })
    await first.send({ user: 'ann', op: 'add', item: 'pear' })
    await first.send({ user: 'ann', op: 'add', item: 'apple' })
    await first.send({ user: 'bob', op: 'add', item: 'fig' })
    await first.send({ user: 'ann', op: 'discard', item: 'pear' })
    await first.send({ user: 'bob', op: 'change', item: 'kiwi' })
    await waitFor(() => first.processed() === 6)
    expect(first.carts.get('ann')).toEqual(new Set(['apple']))
    expect(first.carts.get('bob')).toEqual(new Set(['fig', 'kiwi', 'kiwi-2']))
    expect(first.carts.includes('ann', 'apple')).toBe(true)
    const changelog = await readTopic(first.app, 'sets-carts-changelog', 2)
    expect(changelog.map((r) => [r.key, r.value]).sort()).toEqual(
      [
        ['[1,"ann"]', '"apple"'],
        ['[1,"ann"]', '"pear"'],
        ['[1,"ann"]', '"apple"'],
        ['[1,"bob"]', '"fig"'],
        ['[2,"ann"]', '"pear"'],
        ['[15,"bob"]', '[["kiwi","kiwi-2"],["apple"]]'],
      ].sort(),
    )
    // Operations, not values: never compacted.
    expect(first.app.topics.get('sets-carts-changelog')!.specs()[0].config).toEqual({})
    await first.app.stop()
    const second = orders(broker)
    await second.app.start()
    expect(second.carts.get('ann')).toEqual(new Set(['apple']))
    expect(second.carts.get('bob')).toEqual(new Set(['fig', 'kiwi', 'kiwi-2']))
    expect(second.carts.size).toBe(2)
  })
})

describe('global tables', () => {
  it('every worker holds every partition, and follows changes made by the others', async () => {
    const broker = memoryBroker()
    const make = () => {
      const app = worker('glob', broker, { topicPartitions: 4 })
      const input = app.topic('prices', { valueType: 'json' })
      const prices = app.globalTable<string, number>('prices')
      let processed = 0
      app.agent(input, async function store(stream: Stream<{ sku: string; price: number }>) {
        for await (const { sku, price } of stream) {
          prices.set(sku, price)
          processed++
        }
      })
      return { app, input, prices, processed: () => processed }
    }
    const a = make()
    const b = make()
    await a.app.start()
    await b.app.start()
    expect(a.prices.activePartitions.size + b.prices.activePartitions.size).toBe(4)
    expect(a.prices.standbyPartitions.size).toBe(4 - a.prices.activePartitions.size)
    for (let i = 0; i < 20; i++) await a.input.send({ key: `sku-${i}`, value: { sku: `sku-${i}`, price: i } })
    await waitFor(() => a.processed() + b.processed() === 20)
    await waitFor(() => a.prices.size === 20 && b.prices.size === 20)
    expect(a.prices.get('sku-7')).toBe(7)
    expect(b.prices.get('sku-7')).toBe(7)
    // A new worker reads the whole changelog before it starts.
    const c = make()
    await c.app.start()
    expect(c.prices.size).toBe(20)
  })
})
