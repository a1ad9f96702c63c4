// "Under the Hood" of Faust's agents guide: a stream processor without agents, a task iterating a topic's stream.
import { App } from '../src/index.ts'
import { isMain, Output, repr, until } from './support.ts'

export const app = new App('noagents', { broker: 'memory://examples-noagents', logLevel: 'warn' })
export const topic = app.topic('noagents')

/** What the task printed (read by tests). */
export const out = new Output()

// Faust: `async for event in topic.stream(): print(f'Received: {event!r}')`, started as a task of the app.
export const mystream = app.task(async function mystream() {
  for await (const event of topic.stream()) {
    out.print(`Received: ${repr(event)}`)
  }
})

/** Starts the app, sends a few values to the topic, and returns what the task printed once it got them all. */
export async function run(options: { echo?: boolean } = {}): Promise<string[]> {
  out.reset(options.echo)
  const values = ['hello', 42, { greeting: 'hi' }]
  await app.start()
  try {
    for (const value of values) await topic.send({ value })
    await until(() => out.lines.length === values.length, 5000, 'the task to receive every value')
  } finally {
    await app.stop()
  }
  return out.lines
}

if (isMain(import.meta.url)) await run({ echo: true })
