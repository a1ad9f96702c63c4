/**
 * Checks a JSON Schema cannot express (or not with a useful message): one input, one operation kind, pipeline
 * names that exist, nothing after a terminal operation, valid regexes and cron expressions.
 */
import { CronPattern } from 'croner'
import { codecs } from '../models/codecs.ts'
import { type MappedEntry, mapAppConfig, mapTableOptions } from './config.ts'
import type { Reporter } from './reporter.ts'
import { paramVariables, routePath } from './routes.ts'
import {
  type AppSpecType,
  KASPR_APP_FIELDS,
  type ResourceKind,
  type TableSpecType,
  type TaskSpecType,
  type WebViewSpecType,
} from './schema.ts'
import {
  type AgentSpecType,
  OPERATION_KINDS,
  type OperationKind,
  type OperationSpec,
  type ProcessorsSpec,
} from './schema-parts.ts'
import { OPERATION_PARAMS } from './snippets.ts'
import type { Path } from './source.ts'
import { suggest } from './validate.ts'

/** `topicSend` ends a pipeline: the value leaves the agent. The others pass a value on. */
export const TERMINAL_OPERATIONS: ReadonlySet<OperationKind> = new Set(['topicSend'])

export function operationKind(operation: OperationSpec): OperationKind | undefined {
  return OPERATION_KINDS.find((kind) => operation[kind] !== undefined)
}

/** The operations in pipeline order (the `pipeline` list, or all operations as listed). */
export function pipelineOf(processors: ProcessorsSpec | undefined): { operation: OperationSpec; index: number }[] {
  const operations = processors?.operations ?? []
  const names = processors?.pipeline ?? operations.map((op) => op.name)
  return names.flatMap((name) => {
    const index = operations.findIndex((op) => op.name === name)
    return index < 0 ? [] : [{ operation: operations[index], index }]
  })
}

/** An output topic needs a name, or a nameSelector giving one per value. */
function checkTopicTarget(output: { name?: string; nameSelector?: unknown }, path: Path, reporter: Reporter): void {
  if (output.name === undefined && output.nameSelector === undefined) {
    reporter.report(path, 'missing required field "name" (or "nameSelector"): the topic to send to', 'key')
  }
}

/** A topicSend ends the pipeline unless it passes the value through (Kaspr's passThrough). */
function isTerminal(operation: OperationSpec): boolean {
  const kind = operationKind(operation)
  return kind !== undefined && TERMINAL_OPERATIONS.has(kind) && operation.topicSend?.passThrough !== true
}

function checkProcessors(
  processors: ProcessorsSpec | undefined,
  reporter: Reporter,
  allowed: readonly OperationKind[],
): { kinds: OperationKind[]; endsTerminal: boolean } {
  const base = ['spec', 'processors']
  const operations = processors?.operations ?? []
  const seen = new Map<string, number>()
  operations.forEach((operation, index) => {
    const path = [...base, 'operations', index]
    const kinds = OPERATION_KINDS.filter((kind) => operation[kind] !== undefined)
    if (kinds.length !== 1) {
      const problem = kinds.length === 0 ? 'has none' : `has ${kinds.join(' and ')}`
      reporter.report(
        path,
        `operation "${operation.name}" needs exactly one of ${OPERATION_KINDS.join(', ')}; it ${problem}`,
      )
    } else if (!allowed.includes(kinds[0])) {
      reporter.report([...path, kinds[0]], `${kinds[0]} is not available here (use ${allowed.join(', ')})`, 'key')
    }
    if (operation.topicSend !== undefined) checkTopicTarget(operation.topicSend, [...path, 'topicSend'], reporter)
    if (seen.has(operation.name)) {
      reporter.report([...path, 'name'], `operation name "${operation.name}" is used twice`)
    }
    seen.set(operation.name, index)
  })
  const names = processors?.pipeline ?? operations.map((op) => op.name)
  const kinds: OperationKind[] = []
  let terminal: string | undefined
  let endsTerminal = false
  names.forEach((name, position) => {
    const path = [...base, 'pipeline', position]
    const index = seen.get(name)
    if (index === undefined) {
      const hint = suggest(name, [...seen.keys()])
      reporter.report(path, `no operation named "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}`)
      return
    }
    const kind = operationKind(operations[index])
    if (terminal !== undefined) {
      const where = processors?.pipeline ? path : [...base, 'operations', index]
      reporter.report(
        where,
        `operation "${name}" comes after "${terminal}", a terminal operation that ends the pipeline`,
      )
    }
    if (kind !== undefined) {
      kinds.push(kind)
      endsTerminal = isTerminal(operations[index])
      if (endsTerminal) terminal ??= name
    }
  })
  return { kinds, endsTerminal }
}

function checkRegex(pattern: string, path: (string | number)[], reporter: Reporter): void {
  try {
    new RegExp(pattern)
  } catch (error) {
    reporter.report(path, `not a valid regular expression: ${(error as Error).message}`)
  }
}

function checkAgent(spec: AgentSpecType, reporter: Reporter): void {
  if (spec.input !== undefined && spec.inputs !== undefined) {
    reporter.report(['spec', 'inputs'], 'give "input" or "inputs", not both', 'key')
  }
  const inputField = spec.input !== undefined ? 'input' : 'inputs'
  const input = spec.input ?? spec.inputs
  if (input === undefined) {
    reporter.report(
      ['spec'],
      'missing required field "input" (or "inputs"): the topic or channel the agent reads',
      'key',
    )
  } else {
    const base = ['spec', inputField]
    const sources = (['topic', 'channel'] as const).filter((field) => input[field] !== undefined)
    if (sources.length !== 1) {
      const problem = sources.length === 0 ? 'has neither' : 'has both'
      reporter.report(base, `${inputField} needs exactly one of "topic" or "channel"; it ${problem}`, 'key')
    }
    const topic = input.topic
    if (topic !== undefined) {
      const given = (['name', 'names', 'pattern'] as const).filter((field) => topic[field] !== undefined)
      if (given.length !== 1) {
        const problem = given.length === 0 ? 'has none' : `has ${given.join(' and ')}`
        reporter.report([...base, 'topic'], `topic needs exactly one of name, names or pattern; it ${problem}`, 'key')
      }
      if (topic.pattern !== undefined) checkRegex(topic.pattern, [...base, 'topic', 'pattern'], reporter)
    }
  }
  const { kinds, endsTerminal } = checkProcessors(spec.processors, reporter, OPERATION_KINDS)
  spec.output?.topics?.forEach((output, i) => {
    checkTopicTarget(output, ['spec', 'output', 'topics', i], reporter)
  })
  if (input?.take !== undefined && spec.take !== undefined) {
    reporter.report(['spec', inputField, 'take'], 'give take once (spec.take or input.take)', 'key')
  }
  const take = spec.take ?? input?.take
  if (spec.isolatedPartitions) {
    const why = kinds.includes('groupBy')
      ? 'a groupBy operation (its repartition topic is read by one stream)'
      : (spec.concurrency ?? 1) > 1
        ? 'concurrency > 1'
        : input?.channel !== undefined
          ? 'a channel input (a channel has no partitions)'
          : undefined
    if (why !== undefined)
      reporter.report(['spec', 'isolatedPartitions'], `isolatedPartitions cannot be used with ${why}`)
  }
  for (const key of Object.keys(spec.config ?? {})) {
    reporter.warn(
      ['spec', 'config', key],
      `agent config "${key}" is accepted but not applied: Faustus agents share the app's consumer and producer ` +
        '(set app settings in the App resource config)',
    )
  }
  if (kinds.includes('groupBy')) {
    if ((spec.concurrency ?? 1) > 1) {
      reporter.report(['spec', 'concurrency'], 'an agent with a groupBy operation cannot have concurrency > 1')
    }
    if (take !== undefined) {
      const where = spec.take !== undefined ? ['spec', 'take'] : ['spec', inputField, 'take']
      reporter.report(where, 'take (batches) cannot be used with groupBy', 'key')
    }
    if (input?.channel !== undefined) {
      reporter.report(
        ['spec', inputField, 'channel'],
        'groupBy needs a topic input (it repartitions through a topic)',
        'key',
      )
    }
  }
  const last = kinds[kinds.length - 1]
  if (endsTerminal && (spec.output?.topics?.length ?? 0) > 0) {
    reporter.report(
      ['spec', 'output'],
      `the pipeline ends with a terminal ${last} operation, so nothing reaches output.topics: remove one ` +
        '(or set passThrough: true on it)',
      'key',
    )
  }
}

function checkTask(spec: TaskSpecType, reporter: Reporter): void {
  checkProcessors(spec.processors, reporter, ['map', 'filter', 'topicSend'])
  const schedule = spec.schedule
  if (spec.onLeader && schedule === undefined) {
    reporter.report(['spec', 'onLeader'], 'onLeader needs a schedule (a task without one runs once, at start)')
  }
  if (schedule?.interval !== undefined && schedule.cron !== undefined) {
    reporter.report(['spec', 'schedule'], 'give "interval" or "cron", not both', 'key')
  }
  if (schedule?.cron !== undefined) {
    try {
      new CronPattern(schedule.cron, schedule.timezone)
    } catch (error) {
      reporter.report(['spec', 'schedule', 'cron'], `not a valid cron expression: ${(error as Error).message}`)
    }
  }
}

function reportMapped(entries: MappedEntry[], base: Path, reporter: Reporter): void {
  for (const entry of entries) {
    if (entry.error !== undefined) reporter.report([...base, entry.key], entry.error, 'key')
    else if (entry.warning !== undefined) reporter.warn([...base, entry.key], entry.warning)
  }
}

function checkTable(spec: TableSpecType, reporter: Reporter): void {
  if (spec.default !== undefined && spec.defaultSelector !== undefined) {
    reporter.report(['spec', 'defaultSelector'], 'give "default" or "defaultSelector", not both', 'key')
  }
  const window = spec.window
  if (window !== undefined) {
    const kinds = (['tumbling', 'hopping', 'sliding', 'session'] as const).filter((kind) => window[kind] !== undefined)
    if (kinds.length !== 1) {
      reporter.report(['spec', 'window'], 'window needs exactly one of tumbling, hopping, sliding or session', 'key')
    }
    if (window.session !== undefined && window.merge === undefined) {
      reporter.report(['spec', 'window', 'session'], 'session windows need merge: (earlier, later) => merged value')
    }
    if (window.merge !== undefined && window.session === undefined) {
      reporter.report(['spec', 'window', 'merge'], 'merge is for session windows', 'key')
    }
    if (window.finalResults !== undefined && kinds.length === 1 && window[kinds[0]]?.grace === undefined) {
      reporter.report(['spec', 'window', 'finalResults'], `finalResults needs ${kinds[0]}.grace (0 for none)`)
    }
    if (window.relativeTo === 'custom' && window.relativeToSelector === undefined) {
      reporter.report(['spec', 'window', 'relativeTo'], 'relativeTo: custom needs a relativeToSelector')
    }
    if (window.relativeToSelector !== undefined && window.relativeTo !== 'custom') {
      reporter.report(['spec', 'window', 'relativeToSelector'], 'relativeToSelector needs relativeTo: custom', 'key')
    }
  }
  const options = mapTableOptions(spec.options)
  reportMapped(options, ['spec', 'options'], reporter)
  for (const entry of options) {
    if (entry.target !== undefined && entry.target in spec) {
      reporter.report(['spec', 'options', entry.key], `${entry.target} is given twice (spec and options)`, 'key')
    }
  }
}

function checkApp(spec: AppSpecType | undefined, reporter: Reporter): void {
  for (const [field, why] of Object.entries(KASPR_APP_FIELDS)) {
    if ((spec as Record<string, unknown> | undefined)?.[field] !== undefined) {
      reporter.warn(['spec', field], `KasprApp field "${field}" is accepted but not applied: ${why}`)
    }
  }
  const config = mapAppConfig(spec?.config)
  reportMapped(config, ['spec', 'config'], reporter)
  const given = (['broker', 'bootstrapServers'] as const).filter((field) => spec?.[field] !== undefined)
  if (given.length + config.filter((entry) => entry.target === 'broker').length > 1) {
    reporter.report(
      ['spec', given[given.length - 1] ?? 'config'],
      'give the broker once (broker, bootstrapServers or config.broker)',
      'key',
    )
  }
}

/** Every `keySerializer`/`valueSerializer` must name a registered codec (or a chain of them). */
function checkSerializers(node: unknown, path: (string | number)[], reporter: Reporter): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      checkSerializers(item, [...path, i], reporter)
    })
    return
  }
  if (typeof node !== 'object' || node === null) return
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'keySerializer' || key === 'valueSerializer') && typeof value === 'string') {
      try {
        codecs.get(value)
      } catch {
        const python = value === 'pickle' ? " (Kaspr's pickle is Python-only)" : ''
        reporter.report(
          [...path, key],
          `unknown serializer "${value}"${python}: use one of ${codecs.names().join(', ')}`,
        )
      }
    } else checkSerializers(value, [...path, key], reporter)
  }
}

function checkWebView(spec: WebViewSpecType, reporter: Reporter): void {
  checkProcessors(spec.processors, reporter, ['map', 'filter', 'topicSend'])
  const params = routePath(spec.request.path).params
  const seen = new Set<string>()
  for (const name of params) {
    if (seen.has(name)) reporter.report(['spec', 'request', 'path'], `path parameter "${name}" appears twice`)
    seen.add(name)
  }
  const variables = paramVariables(spec.request.path, OPERATION_PARAMS.WebView)
  ;((spec.processors?.operations ?? []) as OperationSpec[]).forEach((operation, index) => {
    operation.tables?.forEach((ref, i) => {
      if (variables.includes(ref.paramName)) {
        reporter.report(
          ['spec', 'processors', 'operations', index, 'tables', i, 'paramName'],
          `paramName "${ref.paramName}" is also a path parameter of ${spec.request.path}: rename one`,
        )
      }
    })
  })
}

function checkJoin(spec: any, reporter: Reporter): void {
  if (spec.leftTable !== undefined && spec.type === 'outer') {
    reporter.report(['spec', 'type'], 'a table join (leftTable/rightTable) is inner or left, not outer')
  }
  if (spec.outputChannel !== undefined && spec.outputTopic !== undefined) {
    reporter.report(['spec', 'outputTopic'], 'give outputChannel or outputTopic, not both')
  }
}

/** Checks of one schema-valid resource. */
export function checkSemantics(kind: ResourceKind, spec: any, reporter: Reporter): void {
  checkSerializers(spec, ['spec'], reporter)
  if (kind === 'Agent') checkAgent(spec, reporter)
  else if (kind === 'Task') checkTask(spec, reporter)
  else if (kind === 'Table') checkTable(spec ?? {}, reporter)
  else if (kind === 'WebView') checkWebView(spec, reporter)
  else if (kind === 'Join') checkJoin(spec, reporter)
  else checkApp(spec, reporter)
}
