/**
 * An Agent resource as a Faustus agent. The agent function runs the pipeline for each event; values reaching the
 * end go to `output.topics` and are yielded (so `ask` gets them as replies). A groupBy splits the pipeline: the
 * part before it forwards each value, keyed by the groupBy's result, to the repartition topic Faust would use
 * (`{agent}-{source}-{name}-repartition`), and the part after it reads that topic, all inside the one agent.
 * An operation that raises goes through the agent's `onError` policy (default: log and ack) and the stream goes on.
 */
import type { Agent } from '../agents/agent.ts'
import { type ActorContext, runInActor } from '../agents/context.ts'
import type { App } from '../app/app.ts'
import type { Channel } from '../channels/channel.ts'
import type { Topic } from '../channels/topic.ts'
import type { Event } from '../streams/event.ts'
import type { Stream } from '../streams/stream.ts'
import type { StreamChannel } from '../streams/types.ts'
import { durationMs } from './durations.ts'
import { type ArgsOf, type Item, TopicOutput } from './outputs.ts'
import { buildSteps, runSteps, type Segment, type StepContext, segments } from './pipeline.ts'
import type { Resource } from './resources.ts'
import { OPERATION_PARAMS } from './snippets.ts'

const argsOf: ArgsOf = (item) => [item.value, item.key, item.headers, item.event]

function itemOf(event: Event): Item {
  return { value: event.value, key: event.key, headers: event.headers, event }
}

interface Runner {
  app: App
  hasOutputs: boolean
  agent(): Agent<any, any, any>
  deliver(item: Item): Promise<void>
}

/**
 * Runs `work` for one event; an error goes through the agent's error policy (which rethrows for `crash`). The
 * work runs in an actor context whose current event is this one: table writes then check the partition of the event
 * being processed, also after a groupBy (the actor's own stream is the input), and a refused output goes through the
 * agent's error policy.
 */
async function guarded(runner: Runner, event: Event | undefined, work: () => Promise<void>): Promise<void> {
  try {
    const agent = runner.agent()
    const context: ActorContext = {
      agent: agent.name,
      concurrency: agent.concurrency,
      current: () => event,
      refused: (error, refusedEvent) => agent.onError(error, refusedEvent),
    }
    await runInActor(context, work)
  } catch (error) {
    await runner.agent().onError(error, event)
  }
}

/** The sink of the last segment: outputs, then the results the agent yields. */
function collector(runner: Runner, results: unknown[]): (item: Item) => Promise<void> | void {
  if (!runner.hasOutputs) return (item) => void results.push(item.value)
  return async (item) => {
    await runner.deliver(item)
    results.push(item.value)
  }
}

async function* straight(runner: Runner, stream: Stream, segment: Segment) {
  const results: unknown[] = []
  const collect = collector(runner, results)
  for await (const event of stream.events()) {
    await guarded(runner, event, () => runSteps(segment.steps, 0, itemOf(event), argsOf, collect))
    for (const result of results.splice(0)) yield result
  }
}

async function* batched(runner: Runner, stream: Stream, segment: Segment, take: { max: number; within?: number }) {
  const results: unknown[] = []
  const collect = collector(runner, results)
  for await (const batch of stream.take(take.max, { within: take.within })) {
    const event = stream.current
    const item: Item = { value: batch, key: undefined, headers: {}, event }
    await guarded(runner, event, () => runSteps(segment.steps, 0, item, argsOf, collect))
    for (const result of results.splice(0)) yield result
  }
}

function closeSource(stream: Stream): void {
  ;(stream.source as { close?: () => void }).close?.()
}

/** Segments joined by repartition topics, each segment but the last pumping into the next one's topic. */
async function repartitioned(runner: Runner, stream: Stream, parts: Segment[], agentName: string): Promise<void> {
  const { context, channelName } = stream.options
  if (context === undefined || channelName === undefined) throw new Error('groupBy needs a stream over a topic')
  const topics: StreamChannel[] = []
  let source = channelName
  parts.slice(0, -1).forEach((part, i) => {
    const prefix = i === 0 ? `${agentName}-` : ''
    const topic = context.deriveTopic(source, {
      prefix,
      suffix: `-${part.groupBy!.suffix}-repartition`,
      partitions: part.groupBy!.partitions,
    })
    topics.push(topic)
    source = topic.name
  })
  // Subscribe now, before the first await: the consumer's first join then includes the repartition topics.
  const readers = topics.map((topic) => topic.stream())
  let failure: unknown
  const pump = async (input: Stream, i: number) => {
    const part = parts[i]
    const forward = async (item: Item) => {
      const key = await part.groupBy!.call(argsOf(item))
      await topics[i].send({ key, value: item.value, headers: item.headers })
    }
    try {
      for await (const event of input.events()) {
        await guarded(runner, event, () => runSteps(part.steps, 0, itemOf(event), argsOf, forward))
      }
    } catch (error) {
      failure ??= error
      readers.forEach(closeSource)
    } finally {
      // This segment ended (the agent is stopping): the next one ends once it has drained.
      closeSource(readers[i])
    }
  }
  const pumps = parts.slice(0, -1).map((_, i) => pump(i === 0 ? stream : readers[i - 1], i))
  const last = parts[parts.length - 1]
  for await (const event of readers[readers.length - 1].events()) {
    await guarded(runner, event, () => runSteps(last.steps, 0, itemOf(event), argsOf, (item) => runner.deliver(item)))
  }
  await Promise.all(pumps)
  if (failure !== undefined) throw failure
}

/** Defines the agent of an Agent resource on `app`, reading `channel`. */
export function defineAgent(
  app: App,
  resource: Resource<'Agent'>,
  channel: Topic<any, any> | Channel<any, any>,
  ctx: Omit<StepContext, 'names'>,
): Agent<any, any, any> {
  const spec = resource.spec
  const names = OPERATION_PARAMS.Agent
  const parts = segments(buildSteps(spec.processors, { ...ctx, names }))
  const outputs = (spec.output?.topics ?? []).map(
    (output, i) => new TopicOutput(app, output, ctx.program, ['spec', 'output', 'topics', i], names),
  )
  let agent: Agent<any, any, any> | undefined
  const runner: Runner = {
    app,
    hasOutputs: outputs.length > 0,
    agent: () => agent!,
    async deliver(item) {
      for (const output of outputs) await output.send(item, argsOf)
    },
  }
  const takeSpec = spec.take ?? (spec.input ?? spec.inputs)?.take
  const take = takeSpec && {
    max: takeSpec.max,
    within: takeSpec.within === undefined ? undefined : durationMs(takeSpec.within),
  }
  const fn = (stream: Stream): AsyncIterable<unknown> | Promise<void> => {
    if (parts.length > 1) return repartitioned(runner, stream, parts, resource.name)
    return take ? batched(runner, stream, parts[0], take) : straight(runner, stream, parts[0])
  }
  agent = app.agent(channel as Topic<unknown, unknown>, fn, {
    name: resource.name,
    concurrency: spec.concurrency,
    onError: spec.onError,
    ...(spec.isolatedPartitions ? { isolatedPartitions: true } : {}),
  })
  return agent
}
