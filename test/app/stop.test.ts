// Bugs met while writing examples/, now fixed: each test states what Faust's guide leads one to expect.
import { expect, it } from 'vitest'
import { testApp, waitFor } from '../helpers.ts'

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
