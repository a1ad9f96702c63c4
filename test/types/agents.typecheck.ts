// Checked by `tsc` (npm test runs `npm run typecheck` first): every `@ts-expect-error` line must be a type error,
// or the build fails. This is how the promise "mistakes are compile errors" is tested.
import { App, int, record, type Stream, str } from '../../src/index.ts'

const Add = record('test.types.Add', { a: int(), b: int() })
const app = new App('typecheck')
const topic = app.topic('adding', { valueType: Add })

const adding = app.agent(topic, async function* adding(stream) {
  for await (const value of stream) {
    // @ts-expect-error: `c` is not a field of Add
    value.c
    yield value.a + value.b
  }
})

// A wrong value type sent to an agent.
// @ts-expect-error: a string is not an Add
void adding.cast('not an add')
// @ts-expect-error: a plain object missing `b` is not an Add either
void adding.ask({ a: 1 })
void adding.cast(new Add({ a: 1, b: 2 }))

// The result type of ask is what the agent yields.
async function results() {
  const sum: number = await adding.ask(new Add({ a: 1, b: 2 }))
  // @ts-expect-error: ask resolves to a number, not a string
  const wrong: string = await adding.ask(new Add({ a: 1, b: 2 }))
  return [sum, wrong]
}
void results

// A wrong yield type for a typed sink.
const printString = (value: string) => console.log(value.toUpperCase())
app.agent(
  // @ts-expect-error: the agent yields numbers, its sink takes strings
  async function* yieldsNumbers(stream: Stream<number>) {
    for await (const value of stream) yield value * 2
  },
  { sink: [printString] },
)
app.agent(
  async function* yieldsStrings(stream: Stream<number>) {
    for await (const value of stream) yield String(value)
  },
  { sink: [printString] },
)

// A typed topic as a sink takes only its value type.
const names = app.topic('names', { valueType: record('test.types.Name', { name: str() }) })
// @ts-expect-error: the names topic takes Name records, not numbers
app.agent(
  async function* yieldsNumbersToNames(stream: Stream<number>) {
    for await (const value of stream) yield value
  },
  { sink: [names] },
)
