// Faust's agents guide on joins: "the best practice is to use the @app.task decorator instead ... that manually
// iterates over the joined stream". Faust leaves stream joins unimplemented, but `stream & other` (combine) works:
// here a task reads two topics as one stream with `stream.merge(...)` (alias `combine`).
import { App } from '../src/index.ts'
import { isMain, Output, repr, until } from './support.ts'

export const app = new App('merge', { broker: 'memory://examples-merge', logLevel: 'warn' })
export const topic1 = app.topic('foo1')
export const topic2 = app.topic('foo2')

const out = new Output()
/** Every event the task got: the topic it came from, and its value. */
export const merged: { topic: string | undefined; value: unknown }[] = []

export const mystream = app.task(async function mystream() {
  // Faust: `async for event in (topic1.stream() & topic2.stream()): ...`
  for await (const event of topic1.stream().merge(topic2.stream()).events()) {
    // Each event is acked at its own topic; `event.topic` tells where it came from.
    merged.push({ topic: event.topic, value: event.value })
    out.print(`Received from ${event.topic}: ${repr(event.value)}`)
  }
})

export async function run(options: { echo?: boolean } = {}) {
  out.reset(options.echo)
  merged.length = 0
  await app.start()
  try {
    await topic1.send({ value: 'a1' })
    await topic2.send({ value: 'b1' })
    await topic1.send({ value: 'a2' })
    await topic2.send({ value: 'b2' })
    await until(() => merged.length === 4, 5000, 'the task to get the events of both topics')
  } finally {
    await app.stop()
  }
  return { merged: [...merged], lines: out.lines }
}

if (isMain(import.meta.url)) await run({ echo: true })
