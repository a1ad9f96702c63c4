// Checked by `tsc`: the test driver's send, ask and read functions carry the types of the topic or agent.
import { App, int, record, type Stream } from '../../src/index.ts'
import type { TestDriver } from '../../src/testing/index.ts'

const Add = record('test.types.testing.Add', { a: int(), b: int() })
type Add = InstanceType<typeof Add>
const app = new App('typecheck-testing', { broker: 'memory://typecheck-testing' })
const topic = app.topic('adding', { keyType: 'json', valueType: Add })
const adding = app.agent(topic, async function* adding(stream: Stream<Add>) {
  for await (const value of stream) yield value.a + value.b
})
const counts = app.table<string, number>('counts')

export async function typed(driver: TestDriver): Promise<void> {
  await driver.send(topic, { value: new Add({ a: 1, b: 2 }), key: 'k' })
  // @ts-expect-error: a string is not an Add
  await driver.send(topic, { value: 'not an add' })
  const sum: number = await driver.ask(adding, new Add({ a: 1, b: 2 }))
  // @ts-expect-error: the agent answers numbers
  const wrong: string = await driver.ask(adding, new Add({ a: 1, b: 2 }))
  const [first] = driver.records(topic)
  const a: number = first.value.a
  // @ts-expect-error: `c` is not a field of Add
  void first.value.c
  const count: number | undefined = driver.table(counts).get('word')
  // @ts-expect-error: the table's keys are strings
  driver.table(counts).get(1)
  void [sum, wrong, a, count]
}
