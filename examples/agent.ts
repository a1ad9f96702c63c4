// The agent example of Faust's agents guide: an agent adding two numbers, and a command asking it.
import { App, int, record, type Stream } from '../src/index.ts'

export const Add = record('examples.agent.Add', { a: int(), b: int() })
export type Add = InstanceType<typeof Add>

export const app = new App('agent-example', { logLevel: 'warn' })

// The topic's values are Add records (JSON with Faust's "__faust" namespace).
const topic = app.topic('adding', { valueType: Add })

export const adding = app.agent(topic, async function* adding(stream: Stream<Add>) {
  for await (const value of stream) {
    // Here we receive Add objects and yield a + b: the result goes back to whoever asked.
    yield value.a + value.b
  }
})

app.command(
  'send_value',
  {
    help: 'Ask the adding agent for a + b',
    args: { a: { type: 'int', help: 'First number to add' }, b: { type: 'int', help: 'Second number to add' } },
    options: { print: { type: 'boolean', negatable: true, help: 'Enable debug output' } },
  },
  async ({ a, b, print }) => {
    if (print) console.log(`Sending Add(${a}, ${b})...`)
    console.log(await adding.ask(new Add({ a, b })))
  },
)
