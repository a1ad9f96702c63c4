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

describe('background pumps (groupBy, merge) whose functions fail', () => {
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
    await waitFor(() => app.stats().eventsInFlight === 0, 5000, 'all events acked')
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled).toEqual([])
  })

  it('merge: a filter raising in one merged stream reaches the reader instead of an unhandled rejection', async () => {
    process.on('unhandledRejection', onUnhandled)
    unhandled.length = 0
    // The failing event stays unacked (a task has no error policy): the stop does not wait for it.
    app = testApp(undefined, { stopTimeoutMs: 50, revokeTimeoutMs: 50 })
    const left = app.topic('left', { valueType: 'json' })
    const right = app.topic('right', { valueType: 'json' })
    const seen: number[] = []
    let caught: Error | undefined
    app.task(async function merged() {
      const checked = (left.stream() as Stream<number>).filter((n) => {
        if (n < 0) throw new Error(`negative ${n}`)
        return true
      })
      try {
        for await (const n of checked.merge(right.stream() as Stream<number>)) seen.push(n)
      } catch (error) {
        caught = error as Error
      }
    })
    await app.start()
    await left.send({ value: 1 })
    await right.send({ value: 2 })
    await waitFor(() => seen.length === 2)
    await left.send({ value: -1 })
    await waitFor(() => caught !== undefined, 5000, 'the filter error to reach the reader')
    expect(caught?.message).toBe('negative -1')
    await new Promise((resolve) => setImmediate(resolve))
    expect(unhandled).toEqual([])
  })

  it('a filter or map raising in an agent: the failing event is acked by the error policy, commits go on', async () => {
    app = testApp()
    const numbers = app.topic('numbers', { valueType: 'json' })
    const seen: number[] = []
    app.agent(numbers, async function checked(stream: Stream<number>) {
      const positive = stream
        .filter((n) => {
          if (n === -1) throw new Error('filter raised')
          return true
        })
        .map((n) => {
          if (n === -2) throw new Error('map raised')
          return n
        })
      for await (const n of positive) seen.push(n)
    })
    await app.start()
    for (const n of [1, -1, 2, -2, 3]) await numbers.send({ value: n, partition: 0 })
    await waitFor(() => seen.length === 3)
    expect(seen).toEqual([1, 2, 3])
    await waitFor(() => app.stats().eventsInFlight === 0, 5000, 'every event acked')
  })
})
