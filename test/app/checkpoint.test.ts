// The checkpoint (src/app/checkpoint.ts) on the memory transport: what it commits, and what it must not.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { CheckpointMessage, RebalanceMessage } from '../../src/diagnostics.ts'
import type { App, Stream } from '../../src/index.ts'
import { brokerOf, stopAfterEach, testApp, waitFor } from '../helpers.ts'

const apps = stopAfterEach()

function committed(app: App, topic: string, partition = 0): number | undefined {
  return brokerOf(app).group(app.groupId).committed({ topic, partition })
}

/** Something a test opens later; `opened` says whether anyone waits on it. */
function latch() {
  let open!: () => void
  let waiting = 0
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return {
    wait: () => {
      waiting++
      return promise
    },
    open,
    get waiting() {
      return waiting
    },
  }
}

function start(options: Parameters<typeof testApp>[1] = {}, id?: string) {
  const app = testApp(id, { brokerCommitIntervalMs: 3_600_000, ...options })
  apps.push(app)
  return app
}

describe('checkpoint', () => {
  it('the commit on stop commits what was acked while the stop waited for in-flight events', async () => {
    const app = start({ stopTimeoutMs: 0 })
    const topic = app.topic('stop-commit', { partitions: 1, valueType: 'json' })
    const hold = latch()
    const seen: number[] = []
    app.agent(topic, async function slow(stream: Stream<number>) {
      for await (const value of stream) {
        if (value === 2) await hold.wait()
        seen.push(value)
      }
    })
    await app.start()
    for (const value of [0, 1, 2]) await topic.send({ value })
    await waitFor(() => hold.waiting === 1, 5000, 'the agent to hold event 2')
    // Stop does not drain (stopTimeoutMs 0); event 2 is acked only once the consumer is closing: the revoke of
    // close() (a rebalance start) waits for it, and the final checkpoint must commit its ack.
    const onRebalance = (message: unknown) => {
      const { app: id, phase } = message as RebalanceMessage
      if (id === app.id && phase === 'start') hold.open()
    }
    subscribe('faustus:rebalance', onRebalance)
    await app.stop().finally(() => unsubscribe('faustus:rebalance', onRebalance))
    expect(seen).toEqual([0, 1, 2])
    expect(committed(app, 'stop-commit')).toBe(3)
  })

  it('a stalled output leaves the committed offset where it was until it is acknowledged', async () => {
    const app = start()
    const source = app.topic('stall-in', { partitions: 1, valueType: 'json' })
    const sink = app.topic('stall-out', { partitions: 1, valueType: 'json' })
    app.agent(
      source,
      async function* relay(stream: Stream<number>) {
        for await (const value of stream) yield value
      },
      { sink: [sink] },
    )
    await app.start()
    await source.send({ value: 1 })
    await waitFor(() => app.stats().eventsInFlight === 0)
    await app.commit()
    expect(committed(app, 'stall-in')).toBe(1)

    const hold = brokerOf(app).holdProduce('stall-out')
    await source.send({ value: 2 })
    await waitFor(() => hold.held > 0, 5000, 'the output to be held')
    let done = false
    const checkpoint = app.commit().then(() => {
      done = true
    })
    // The event is acked, but its output is not: nothing may be committed past it.
    await waitFor(() => app.stats().eventsInFlight === 0)
    expect(done).toBe(false)
    expect(committed(app, 'stall-in')).toBe(1)
    hold.release()
    await checkpoint
    expect(committed(app, 'stall-in')).toBe(2)
  })

  it('a failed output commits nothing past its event and crashes the app', async () => {
    const app = start()
    const source = app.topic('fail-in', { partitions: 1, valueType: 'json' })
    const sink = app.topic('fail-out', { partitions: 1, valueType: 'json' })
    app.agent(
      source,
      async function* relay(stream: Stream<number>) {
        for await (const value of stream) yield value
      },
      { sink: [sink] },
    )
    await app.start()
    await source.send({ value: 1 })
    await waitFor(() => app.stats().eventsInFlight === 0)
    await app.commit()
    const hold = brokerOf(app).holdProduce('fail-out')
    await source.send({ value: 2 })
    await waitFor(() => hold.held > 0, 5000, 'the output to be held')
    hold.fail(new Error('leader gone'))
    await expect(app.done).rejects.toThrow()
    expect(committed(app, 'fail-in')).toBe(1)
  })

  // Checkpoints on acks: at 2 and 4 acks (the second may run behind the first, and the one run on demand may join
  // it), none with 0. Counted on the checkpoint channel, up to the one run on demand (checkpoints never overlap).
  for (const [every, least] of [
    [2, 2],
    [0, 1],
  ] as const) {
    it(`brokerCommitEvery ${every}: ${every === 0 ? 'no checkpoint on acks (the interval only)' : 'a checkpoint every 2 acks'}`, async () => {
      const app = start({ brokerCommitEvery: every })
      const source = app.topic('every-in', { partitions: 1, valueType: 'json' })
      let processed = 0
      app.agent(source, async function count(stream: Stream<number>) {
        for await (const _ of stream) processed++
      })
      const checkpoints: CheckpointMessage[] = []
      const onCheckpoint = (message: unknown) => {
        if ((message as CheckpointMessage).app === app.id) checkpoints.push(message as CheckpointMessage)
      }
      subscribe('faustus:checkpoint', onCheckpoint)
      onTestFinished(() => {
        unsubscribe('faustus:checkpoint', onCheckpoint)
      })
      await app.start()
      for (const value of [1, 2, 3, 4, 5]) await source.send({ value })
      await waitFor(() => processed === 5 && app.stats().eventsInFlight === 0)
      await app.commit()
      expect(committed(app, 'every-in')).toBe(5)
      if (every === 0) expect(checkpoints).toHaveLength(1)
      else expect(checkpoints.length).toBeGreaterThanOrEqual(least)
    })
  }

  // Written at once (tableCacheMaxBytes 0, as Faust) or cached until the checkpoint (the default).
  for (const [mode, tableCacheMaxBytes] of [
    ['written at once', 0],
    ['cached until the checkpoint', undefined],
  ] as const) {
    it(`a failed table changelog write (${mode}) commits nothing past the change`, async () => {
      const app = start({ tableCacheMaxBytes })
      const source = app.topic('count-in', { partitions: 1, valueType: 'json' })
      const counts = app.table<string, number>('counts', { default: () => 0, partitions: 1 })
      app.agent(source, async function count(stream: Stream<string>) {
        for await (const word of stream) counts.set(word, (counts.get(word) ?? 0) + 1)
      })
      await app.start()
      await source.send({ key: 'a', value: 'a' })
      await waitFor(() => app.stats().eventsInFlight === 0 && counts.get('a') === 1)
      await app.commit()
      expect(committed(app, 'count-in')).toBe(1)
      const hold = brokerOf(app).holdProduce(counts.changelogTopic)
      await source.send({ key: 'a', value: 'a' })
      await waitFor(() => app.stats().eventsInFlight === 0 && counts.get('a') === 2)
      let done = false
      const checkpoint = app.commit().then(
        () => {
          done = true
        },
        () => {},
      )
      await waitFor(() => hold.held > 0, 5000, 'the changelog write to be held')
      expect(done).toBe(false)
      expect(committed(app, 'count-in')).toBe(1)
      hold.fail(new Error('changelog leader gone'))
      await checkpoint
      await expect(app.done).rejects.toThrow()
      expect(done).toBe(false)
      expect(committed(app, 'count-in')).toBe(1)
    })
  }

  it('a revoke while an agent holds an event commits up to that event, not past it', async () => {
    const broker = `memory://revoke-${Math.random()}`
    const first = start({ broker, revokeTimeoutMs: 20 }, 'revoke-app')
    const topic = first.topic('revoke-in', { partitions: 1, valueType: 'json' })
    const hold = latch()
    const seen: number[] = []
    first.agent(topic, async function slow(stream: Stream<number>) {
      for await (const value of stream) {
        if (value === 3) await hold.wait()
        seen.push(value)
      }
    })
    await first.start()
    for (const value of [0, 1, 2, 3, 4]) await topic.send({ value })
    await waitFor(() => hold.waiting === 1, 5000, 'the agent to hold event 3')

    // A second worker joins: the first one's partitions are revoked while event 3 is held.
    const second = start({ broker, revokeTimeoutMs: 20 }, 'revoke-app')
    second.topic('revoke-in', { partitions: 1, valueType: 'json' })
    const seenBySecond: number[] = []
    second.agent(second.topics.get('revoke-in')!, async function slow(stream: Stream<number>) {
      for await (const value of stream) seenBySecond.push(value)
    })
    await second.start()
    expect(committed(first, 'revoke-in')).toBe(3)
    hold.open()
    // Event 3 is read again by whoever owns the partition now.
    await waitFor(() => [...seen, ...seenBySecond].filter((v) => v === 3).length >= 2, 5000, 'event 3 again')
  })
})
