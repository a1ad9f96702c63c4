import { afterEach, describe, expect, it } from 'vitest'
import type { App, Stream } from '../../src/index.ts'
import { testApp, waitFor } from '../helpers.ts'

let app: App
const unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
afterEach(async () => {
  await app?.stop()
  process.off('unhandledRejection', onUnhandled)
})

describe('groupBy whose key function or repartition send fails', () => {
  it('hands the failure to the agent (error policy, restart) instead of an unhandled rejection', async () => {
    process.on('unhandledRejection', onUnhandled)
    unhandled.length = 0
    app = testApp()
    const orders = app.topic('orders', { valueType: 'json' })
    const seen: string[] = []
    const errors: unknown[] = []
    app.agent(orders, async function byUser(stream: Stream<{ user: string }>) {
      const grouped = stream.groupBy(
        (order) => {
          if (order.user === 'bad') throw new Error('no key for bad')
          return order.user
        },
        { name: 'user' },
      )
      for await (const order of grouped) seen.push(order.user)
    })
    const agent = app.agents.get('byUser')!
    const onError = agent.onError.bind(agent)
    agent.onError = async (error, event) => {
      errors.push(error)
      await onError(error, event)
    }
    await app.start()
    for (const user of ['a', 'bad', 'b']) await orders.send({ value: { user } })
    await waitFor(() => seen.includes('a') && seen.includes('b'), 5000, 'the events around the failing one')
    expect(errors.map((e) => (e as Error).message)).toEqual(['no key for bad'])
    // Every event was acked (the failing one by the error policy): a commit can pass all three.
    await waitFor(() => app.services.runtime.conductor.acks.inFlight() === 0, 5000, 'all events acked')
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled).toEqual([])
  })
})
