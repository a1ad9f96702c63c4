/** Table resources as app tables: plain, global, or windowed (tumbling, hopping, sliding, session). */
import type { App } from '../app/app.ts'
import type { SessionTable } from '../tables/session.ts'
import type { Table } from '../tables/table.ts'
import type { TableOptions } from '../tables/types.ts'
import type { WindowedTable } from '../tables/windowed.ts'
import { mapTableOptions } from './config.ts'
import { durationMs } from './durations.ts'
import { outputTopic } from './outputs.ts'
import type { ResourceProgram } from './program.ts'
import type { Resource } from './resources.ts'
import { resourceName } from './resources.ts'
import type { TableWindowSpec } from './schema.ts'

function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T
}

function windowed(
  app: App,
  table: Table,
  window: TableWindowSpec,
  program: ResourceProgram | undefined,
): WindowedTable | SessionTable {
  const expires = (spec: { expires?: string | number; grace?: string | number }) =>
    defined({
      expires: spec.expires === undefined ? undefined : durationMs(spec.expires),
      // A grace of 0 is valid (close at the window's end); durationMs reads numbers as seconds.
      grace: spec.grace === undefined ? undefined : durationMs(spec.grace),
    })
  let view: WindowedTable | SessionTable
  if (window.tumbling) view = table.tumbling(durationMs(window.tumbling.size), expires(window.tumbling))
  else if (window.hopping) {
    const { size, step } = window.hopping
    view = table.hopping(durationMs(size), durationMs(step), expires(window.hopping))
  } else if (window.session) {
    const merge = program!.call(['spec', 'window', 'merge'], ['earlier', 'later'])
    view = table.session(durationMs(window.session.gap), {
      ...expires(window.session),
      merge: (earlier, later) => merge([earlier, later]),
    })
  } else {
    const { before, after } = window.sliding!
    view = table.sliding(durationMs(before), durationMs(after), expires(window.sliding!))
  }
  if (window.onWindowClose !== undefined) {
    const onClose = program!.call(['spec', 'window', 'onWindowClose'], ['key', 'value', 'window'])
    view.onWindowClose((key, value, range) => onClose([key, value, { start: range.start, end: range.end }]))
  }
  if (window.finalResults !== undefined) {
    view.finalResults(outputTopic(app, window.finalResults.topic, window.finalResults))
  }
  if (window.relativeTo === 'now') return view.relativeToNow()
  if (window.relativeTo === 'custom') {
    const selector = ['spec', 'window', 'relativeToSelector']
    const call = program!.call(selector, ['value'])
    return view.relativeToField((value) => {
      const time = call([value])
      if (typeof time === 'number' || time instanceof Date) return time
      throw program!.error(selector, new TypeError(`relativeToSelector returned ${String(time)}: give a Date or ms`))
    })
  }
  return view
}

/** Standard constructors callable without `new` that give an empty value: `Object()` is `{}`, `Number()` is 0. */
const CALLABLE = new Set<unknown>([Object, Array, Number, String, Boolean, BigInt])

/**
 * Kaspr's defaultSelector returns a factory (Python: `return dict`), called for each missing key: a constructor
 * (`Object`, `Array`, `Number`, `Map`, a class) or any function (`() => ({ count: 0 })`).
 */
function factoryOf(made: unknown, fail: (message: string) => Error): () => unknown {
  if (typeof made !== 'function') {
    throw fail(`defaultSelector must return a factory (e.g. Object, Number, () => ({})), not ${typeof made}`)
  }
  const fn = made as (...args: unknown[]) => unknown
  const isClass = /^class[\s{]/.test(Function.prototype.toString.call(fn))
  const native = /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn)) && 'prototype' in fn
  if (isClass || (native && !CALLABLE.has(fn))) return () => Reflect.construct(fn, [])
  return () => fn()
}

/**
 * Defines the table of a Table resource; returns what code sees under the table's name (the windowed view for a
 * windowed table). `program` runs the `default` code, if any.
 */
export function defineTable(app: App, resource: Resource<'Table'>, program: ResourceProgram | undefined): unknown {
  const spec = resource.spec ?? {}
  const name = resourceName(resource)
  let makeDefault: (() => unknown) | undefined
  if (spec.default !== undefined) {
    // Faustus's `default`: code giving the default value itself, run for each missing key.
    const call = program!.call(['spec', 'default'], [])
    makeDefault = () => call([])
  } else if (spec.defaultSelector !== undefined) {
    const path = ['spec', 'defaultSelector']
    const made = program!.call(path, [])([])
    makeDefault = factoryOf(made, (message) => program!.error(path, new TypeError(message)))
  }
  const extra = Object.fromEntries(
    mapTableOptions(spec.options).flatMap((entry) => (entry.target === undefined ? [] : [[entry.target, entry.value]])),
  )
  const options: TableOptions<unknown> = defined({
    keyType: spec.keySerializer,
    valueType: spec.valueSerializer,
    partitions: spec.partitions,
    standbys: spec.standbys,
    help: spec.description,
    ...extra,
    // Kaspr (Faust) code writes under keys of its choosing (`counters[dimension] = ...`): by the tables' default
    // (`keyPartitionCheck: 'warn'`) such a write stays in the partition of the event being processed, as in Faust,
    // warned once per partition; `checkKeyPartition: true` asks for the strict check.
    checkKeyPartition: spec.checkKeyPartition ?? (extra.checkKeyPartition as boolean | undefined),
    default: makeDefault,
  })
  const table = spec.global ? app.globalTable(name, options) : app.table(name, options)
  if (spec.extraTopicConfigs !== undefined) {
    const changelog = app.topics.get(table.changelogTopic)
    if (changelog !== undefined) {
      const extra = Object.fromEntries(Object.entries(spec.extraTopicConfigs).map(([k, v]) => [k, String(v)]))
      Object.assign(changelog.options, { config: { ...changelog.options.config, ...extra } })
    }
  }
  return spec.window ? windowed(app, table, spec.window, program) : table
}
