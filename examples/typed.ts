// Faust's agents guide, "Static types": the agent's stream is typed `Stream<Add>` and what it yields is a number,
// so `ask` resolves to a number and the stream API (groupBy, through, take...) is there, typed.
//
//   @app.agent(topic)
//   async def adding(stream: StreamT[Add]) -> AsyncIterable[int]:
//       async for value in stream:
//           yield value.a + value.b
import { App, int, record, type Stream } from '../src/index.ts'
import { isMain, Output, repr } from './support.ts'

export const Add = record('examples.typed.Add', { a: int(), b: int() })
export type Add = InstanceType<typeof Add>

export const app = new App('typed', { broker: 'memory://examples-typed', logLevel: 'warn' })
// `topic` is a Topic<Add>: its values are Add records.
export const topic = app.topic('adding', { valueType: Add })

const out = new Output()

// The result type comes from the function: Agent<Add, unknown, number>. Typing the parameter as a bare
// AsyncIterable<Add> would work too, but then stream methods such as groupBy or take would not type-check.
export const adding = app.agent(topic, async function* adding(stream: Stream<Add>): AsyncIterable<number> {
  for await (const value of stream) {
    yield value.a + value.b
  }
})

export async function run(options: { echo?: boolean } = {}): Promise<{ sum: number; sums: number[]; lines: string[] }> {
  out.reset(options.echo)
  await app.start()
  try {
    // `sum` is a number: no cast needed. `adding.ask(4)` or `adding.ask({ a: 4 })` would not compile.
    const sum: number = await adding.ask(new Add({ a: 4, b: 4 }))
    out.print(repr(sum))
    const sums: number[] = await adding.join([new Add({ a: 1, b: 2 }), new Add({ a: 3, b: 4 })])
    out.print(repr(sums))
    return { sum, sums, lines: out.lines }
  } finally {
    await app.stop()
  }
}

if (isMain(import.meta.url)) await run({ echo: true })
