// Bugs met while writing examples/, now fixed: each test states what Faust's guide leads one to expect.
import { expect, it } from 'vitest'
import { brokerOf, testApp, waitFor } from '../helpers.ts'

// Stream.groupBy (and through) return a stream over the repartition topic's queue (src/streams/stream.ts,
// #forward: `const target = channel.stream()`). When the agent stops, Agent.stop (src/agents/agent.ts) closes only
// the agent's own queue: the pump ends, but the target queue is never closed, so the actor waits on it forever
// and `await app.stop()` never resolves. Workaround (`untilAborted`) in examples/groupby.ts.
it('app.stop() resolves for an agent iterating stream.groupBy(...)', async () => {
  const app = testApp()
  const topic = app.topic('transfers')
  let seen = 0
  app.agent(topic, async function grouped(stream) {
    for await (const _ of stream.groupBy((value) => String(value), { name: 'id' })) seen++
  })
  await app.start()
  await topic.send({ value: 'a' })
  await waitFor(() => seen === 1, 1000, 'the grouped event')
  // With the bug, stop never resolves: the test fails by its own timeout.
  await app.stop()
  expect(app.state).toBe('idle')
})

// Faust cancels an app's tasks when it stops. Here a task iterating `topic.stream()` keeps waiting after
// `app.stop()` resolved: the queues of streams opened outside agents are never closed (AppServices.stop in
// src/app/services.ts stops agents only, and the queue stays subscribed in the Conductor, so after a restart it
// would fill up with events nobody reads until its backpressure blocks the consumer).
it('a task iterating topic.stream() ends when the app stops', async () => {
  const app = testApp()
  const topic = app.topic('events')
  let ended = false
  let received = 0
  app.task(async () => {
    for await (const _ of topic.stream()) received++
    ended = true
  })
  await app.start()
  await topic.send({ value: 1 })
  await waitFor(() => received === 1, 1000, 'the task to get the event')
  await app.stop()
  await waitFor(() => ended, 1000, 'the task to end')
})

it('an agent raising inside a groupBy loop restarts cleanly: later events flow and stop is prompt', async () => {
  const app = testApp()
  const topic = app.topic('grouped-failures', { valueType: 'json' })
  const seen: number[] = []
  app.agent(topic, async function regroup(stream) {
    for await (const value of stream.groupBy((v) => String(v), { name: 'str' })) {
      if (value === 0) throw new Error('first one fails')
      seen.push(value as number)
    }
  })
  await app.start()
  await topic.send({ value: 0 })
  for (let i = 1; i <= 20; i++) await topic.send({ value: i })
  await waitFor(() => seen.length === 20)
  // Prompt: with the bug, stop waited for the stop timeout (the test's own timeout catches a hang).
  await app.stop()
  expect(app.state).toBe('idle')
})

// A supervisor sends SIGTERM and expects the worker gone within its grace period. An agent stuck in its own code
// (here a promise that never settles) held `app.stop()` forever: Agent.stop awaited its actors without a bound.
// A partition-isolated agent held the revoke of its partitions the same way. Now the stop gives up on them at
// `stopTimeoutMs` (the revoke at `revokeTimeoutMs`), and commits nothing past the event they still hold.
for (const isolatedPartitions of [false, true]) {
  it(`app.stop() ends when an agent never finishes its event; the held event stays uncommitted (isolatedPartitions: ${isolatedPartitions})`, async () => {
    const app = testApp(undefined, { stopTimeoutMs: 50, revokeTimeoutMs: 50, brokerCommitIntervalMs: 3_600_000 })
    const topic = app.topic('stuck', { partitions: 1, valueType: 'json' })
    const seen: number[] = []
    app.agent(
      topic,
      async function stuck(stream) {
        for await (const value of stream) {
          seen.push(value as number)
          if (value === 2) await new Promise<never>(() => {})
        }
      },
      { isolatedPartitions },
    )
    await app.start()
    for (const value of [0, 1, 2, 3]) await topic.send({ value })
    await waitFor(() => seen.length === 3, 5000, 'the agent to hold event 2')
    await app.stop()
    expect(app.state).toBe('idle')
    expect(brokerOf(app).group(app.groupId).committed({ topic: 'stuck', partition: 0 })).toBe(2)
  })
}
