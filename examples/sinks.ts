// Faust's agents guide, "Sinks": what an agent yields can also go to a function, an async function, a topic or
// another agent. One agent per kind of sink here; each gets the values 1, 2 and 3.
import { setTimeout as sleep } from 'node:timers/promises'
import { App, type Stream } from '../src/index.ts'
import { isMain, Output, repr, until } from './support.ts'

export const app = new App('sinks', { broker: 'memory://examples-sinks', logLevel: 'warn' })

const out = new Output()
/** What reached each sink. */
export const reached = {
  function: [] as unknown[],
  asyncFunction: [] as unknown[],
  topic: [] as unknown[],
  agent: [] as unknown[],
}

// Function callback: called with each value the agent yields.
function mysink(value: number): void {
  reached.function.push(value)
  out.print(`AGENT YIELD: ${repr(value)}`)
}

export const myagentFn = app.agent(
  async function* myagent_fn(stream: Stream<number>) {
    for await (const value of stream) yield value * 2
  },
  { sink: [mysink] },
)

// Async function callback: the agent awaits it, so a slow sink slows the actor that yielded the value (the guide
// sleeps a second here; 10 ms will do).
async function myasyncsink(value: number): Promise<void> {
  reached.asyncFunction.push(value)
  out.print(`AGENT YIELD (async): ${repr(value)}`)
  await sleep(10)
}

export const myagentAsync = app.agent(
  async function* myagent_async(stream: Stream<number>) {
    for await (const value of stream) yield value * 2
  },
  { sink: [myasyncsink] },
)

// Topic: yielded values are sent to the `agent_log` topic...
export const agentLogTopic = app.topic('agent_log')

export const myagentTopic = app.agent(
  async function* myagent_topic(stream: Stream<number>) {
    for await (const value of stream) yield value
  },
  { sink: [agentLogTopic] },
)

// ...where anyone may read them back, like this agent.
export const agentLogReader = app.agent(agentLogTopic, async function agent_log_reader(stream) {
  for await (const value of stream) {
    reached.topic.push(value)
    out.print(`AGENT LOG: ${repr(value)}`)
  }
})

// Another agent: yielded values are sent to it.
export const agentB = app.agent(async function agent_b(stream: Stream<number>) {
  for await (const value of stream) {
    reached.agent.push(value)
    out.print(`AGENT B RECEIVED: ${repr(value)}`)
  }
})

export const agentA = app.agent(
  async function* agent_a(stream: Stream<number>) {
    for await (const value of stream) {
      out.print(`AGENT A RECEIVED: ${repr(value)}`)
      yield value * 2
    }
  },
  { sink: [agentB] },
)

export type SinksRun = typeof reached & { lines: string[] }

export async function run(options: { echo?: boolean } = {}): Promise<SinksRun> {
  out.reset(options.echo)
  for (const values of Object.values(reached)) values.length = 0
  const values = [1, 2, 3]
  await app.start()
  try {
    for (const agent of [myagentFn, myagentAsync, myagentTopic, agentA]) {
      for (const value of values) await agent.cast(value)
    }
    await until(
      () => Object.values(reached).every((sink) => sink.length === values.length),
      5000,
      'every sink to get every value',
    )
  } finally {
    await app.stop()
  }
  return {
    function: [...reached.function],
    asyncFunction: [...reached.asyncFunction],
    topic: [...reached.topic],
    agent: [...reached.agent],
    lines: out.lines,
  }
}

if (isMain(import.meta.url)) await run({ echo: true })
