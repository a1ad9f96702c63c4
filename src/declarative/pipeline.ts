/**
 * The operations of a pipeline as steps, and running one item through them. `map` replaces the value (returning
 * `undefined` drops it; a body using `yield` gives several values), `filter` keeps a value when its code returns a
 * truthy value, `topicSend` sends it and ends the pipeline, and `groupBy` (agents only) splits the pipeline into
 * segments joined by a repartition topic.
 */
import type { App } from '../app/app.ts'
import { isFaustusError } from '../errors.ts'
import { type ArgsOf, type Item, TopicOutput } from './outputs.ts'
import type { ResourceProgram, SnippetCall } from './program.ts'
import type { ProcessorsSpec } from './schema-parts.ts'
import { operationKind, pipelineOf } from './semantics.ts'

export type Step =
  | MapStep
  | { kind: 'filter'; name: string; call: SnippetCall }
  | { kind: 'topicSend'; name: string; output: TopicOutput; passThrough: boolean }
  | { kind: 'groupBy'; name: string; call: SnippetCall; suffix: string; partitions?: number }

export interface MapStep {
  kind: 'map'
  name: string
  call: SnippetCall
  generator: boolean
  /** The error to raise for what the code did (keeps a Faustus error, else names the resource and field). */
  fail: (cause: unknown) => Error
}

export interface StepContext {
  app: App
  program: ResourceProgram
  /** Names of the values each operation gets, in order (before its tables). */
  names: readonly string[]
  /** A table by name (the operation's `tables`); undefined when the app has none of that name. */
  table(name: string): unknown
}

/** The pipeline's steps, in order. */
export function buildSteps(processors: ProcessorsSpec | undefined, ctx: StepContext): Step[] {
  return pipelineOf(processors).map(({ operation, index }) => {
    const path = ['spec', 'processors', 'operations', index]
    const kind = operationKind(operation)!
    const tables = operation.tables ?? []
    const tableArgs = tables.map((ref) => ctx.table(ref.name))
    const tableNames = tables.map((ref) => ref.paramName)
    const call = () => ctx.program.call([...path, kind], ctx.names, tableArgs, tableNames)
    switch (kind) {
      case 'map':
        return {
          kind,
          name: operation.name,
          call: call(),
          generator: ctx.program.isGenerator([...path, kind]),
          fail: (cause: unknown) =>
            isFaustusError(cause) ? (cause as Error) : ctx.program.error([...path, kind], cause),
        }
      case 'filter':
        return { kind, name: operation.name, call: call() }
      case 'groupBy': {
        const spec = operation.groupBy!
        return {
          kind,
          name: operation.name,
          call: call(),
          suffix: spec.name ?? operation.name,
          partitions: spec.partitions,
        }
      }
      default:
        return {
          kind,
          name: operation.name,
          output: new TopicOutput(ctx.app, operation.topicSend!, ctx.program, [...path, 'topicSend'], ctx.names),
          passThrough: operation.topicSend!.passThrough ?? false,
        }
    }
  })
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

/** A generator object (sync or async): a Kaspr map written as a generator gives each value it yields. */
function isGeneratorObject(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  const tag = Object.prototype.toString.call(value)
  return tag === '[object Generator]' || tag === '[object AsyncGenerator]'
}

/** What a map may not give as a value: code (a function) or a generator left unexpanded. */
function notAValue(value: unknown): string | undefined {
  if (typeof value === 'function') return `a function (${value.name || 'anonymous'}): call it, or return a value`
  if (isGeneratorObject(value)) return 'a generator object: yield its values (yield* gen) instead'
  return undefined
}

/** The values a generator yields, in order; a value that is not one is an error naming the field. */
async function* yielded(step: MapStep, result: unknown): AsyncGenerator<unknown> {
  const iterator = result as AsyncIterable<unknown> | Iterable<unknown>
  try {
    for await (const value of iterator) {
      const problem = notAValue(value)
      if (problem !== undefined) throw step.fail(new TypeError(`map "${step.name}" yielded ${problem}`))
      yield value
    }
  } catch (error) {
    throw step.fail(error)
  }
}

/**
 * Runs `item` through `steps` from `start`; every value that reaches the end goes to `sink`. The item is the
 * caller's to give: maps replace its value in place. Segments are run separately (see segments()).
 */
export async function runSteps(
  steps: readonly Step[],
  start: number,
  item: Item,
  argsOf: ArgsOf,
  sink: (item: Item) => Promise<void> | void,
): Promise<void> {
  for (let i = start; i < steps.length; i++) {
    const step = steps[i]
    if (step.kind === 'filter') {
      const verdict = step.call(argsOf(item))
      if (!(isThenable(verdict) ? await verdict : verdict)) return
    } else if (step.kind === 'map') {
      let result = step.call(argsOf(item))
      if (isThenable(result)) result = await result
      if (step.generator || isGeneratorObject(result)) {
        // A generator (a body using yield, or a function* entrypoint, sync or async): each value goes on, in order.
        for await (const value of yielded(step, result)) {
          if (value !== undefined) await runSteps(steps, i + 1, { ...item, value }, argsOf, sink)
        }
        return
      }
      const problem = notAValue(result)
      if (problem !== undefined) throw step.fail(new TypeError(`map "${step.name}" returned ${problem}`))
      if (result === undefined) return
      item.value = result
    } else if (step.kind === 'topicSend') {
      await step.output.send(item, argsOf)
      if (!step.passThrough) return
    } else {
      throw new Error(`groupBy step "${step.name}" inside a segment`)
    }
  }
  await sink(item)
}

export interface Segment {
  steps: Step[]
  /** The groupBy that ends the segment; the next segment reads its repartition topic. */
  groupBy?: Extract<Step, { kind: 'groupBy' }>
}

/** The pipeline split at each groupBy. */
export function segments(steps: readonly Step[]): Segment[] {
  const out: Segment[] = [{ steps: [] }]
  for (const step of steps) {
    if (step.kind === 'groupBy') {
      out[out.length - 1].groupBy = step
      out.push({ steps: [] })
    } else {
      out[out.length - 1].steps.push(step)
    }
  }
  return out
}
