// Feeding an agent from a generator ("Why isn't the Faust agent receiving values from the yield generator?").
//
// A generator's `yield` hands a value to whoever iterates the generator, nothing more: it does not publish anything.
// An agent reads a topic, so it only sees what is sent to that topic. Iterating the generator (the wrong way below)
// makes DataItems that go nowhere; and a `yield` inside an agent does not feed it either: what an agent yields is
// its result, which goes to whoever asked and to its sinks, never back into a stream. The right way is to send each
// generated item to the topic (`await topic.send({ value })`, or `await myAgent.cast(item)`) from a task.
import { setTimeout as sleep } from 'node:timers/promises'
import { App, int, record, type Stream } from '../src/index.ts'
import { isMain, Output, until } from './support.ts'

export const DataItem = record('examples.generator.DataItem', { value: int() })
export type DataItem = InstanceType<typeof DataItem>

export const app = new App('my_app', { broker: 'memory://examples-generator-feed', logLevel: 'warn' })
export const topic = app.topic('my_topic', { valueType: DataItem })

const out = new Output()
/** The values the agent received. */
export const received: number[] = []

export const myAgent = app.agent(topic, async function my_agent(stream: Stream<DataItem>) {
  for await (const record of stream) {
    received.push(record.value)
    out.print(`Received: ${record.value}`)
  }
})

/** An async generator doing some async work (an API call, say) before each item. */
export async function* asyncDataGenerator(count = 5): AsyncGenerator<DataItem> {
  for (let i = 0; i < count; i++) {
    await sleep(10) // Simulate some async work
    yield new DataItem({ value: i })
  }
}

/** The wrong way: the items are generated, and then dropped; the agent never hears of them. */
export async function wrongWay(): Promise<number> {
  let generated = 0
  for await (const _item of asyncDataGenerator()) generated++
  return generated
}

// The right way: a task (started with the app) sends every generated item to the agent's topic.
export const generatorTask = app.task(async function generator_task() {
  for await (const item of asyncDataGenerator()) {
    // Awaited, so each item is on the topic before the next one is made.
    await topic.send({ value: item })
  }
})

export async function run(options: { echo?: boolean } = {}) {
  out.reset(options.echo)
  received.length = 0
  // Before the app runs, as in the article: generated items that are not sent reach no one.
  const generatedTheWrongWay = await wrongWay()
  await app.start()
  try {
    await until(() => received.length === 5, 5000, 'the agent to receive what the task sent')
  } finally {
    await app.stop()
  }
  return { generatedTheWrongWay, received: [...received], lines: out.lines }
}

if (isMain(import.meta.url)) await run({ echo: true })
