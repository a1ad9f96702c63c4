/** Table resources as app tables: plain, global, or windowed (tumbling, hopping, sliding). */
import type { App } from '../app/app.ts'
import type { Table } from '../tables/table.ts'
import type { TableOptions } from '../tables/types.ts'
import type { WindowedTable } from '../tables/windowed.ts'
import { durationMs } from './durations.ts'
import type { ResourceProgram } from './program.ts'
import type { Resource } from './resources.ts'
import { resourceName } from './resources.ts'
import type { TableWindowSpec } from './schema.ts'

function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as T
}

function windowed(table: Table, window: TableWindowSpec): WindowedTable {
  const expires = (spec: { expires?: string | number }) =>
    defined({ expires: spec.expires === undefined ? undefined : durationMs(spec.expires) })
  let view: WindowedTable
  if (window.tumbling) view = table.tumbling(durationMs(window.tumbling.size), expires(window.tumbling))
  else if (window.hopping) {
    const { size, step } = window.hopping
    view = table.hopping(durationMs(size), durationMs(step), expires(window.hopping))
  } else {
    const { before, after } = window.sliding!
    view = table.sliding(durationMs(before), durationMs(after), expires(window.sliding!))
  }
  return window.relativeTo === 'now' ? view.relativeToNow() : view
}

/**
 * Defines the table of a Table resource; returns what code sees under the table's name (the windowed view for a
 * windowed table). `program` runs the `default` code, if any.
 */
export function defineTable(app: App, resource: Resource<'Table'>, program: ResourceProgram | undefined): unknown {
  const spec = resource.spec ?? {}
  const name = resourceName(resource)
  const defaultPath = spec.default !== undefined ? ['spec', 'default'] : ['spec', 'defaultSelector']
  const makeDefault = program?.has(defaultPath) ? program.call(defaultPath, []) : undefined
  const options: TableOptions<unknown> = defined({
    keyType: spec.keySerializer,
    valueType: spec.valueSerializer,
    partitions: spec.partitions,
    standbys: spec.standbys,
    checkKeyPartition: spec.checkKeyPartition,
    help: spec.description,
    default: makeDefault && (() => makeDefault([])),
  })
  const table = spec.global ? app.globalTable(name, options) : app.table(name, options)
  if (spec.extraTopicConfigs !== undefined) {
    const changelog = app.topics.get(table.changelogTopic)
    if (changelog !== undefined) {
      const extra = Object.fromEntries(Object.entries(spec.extraTopicConfigs).map(([k, v]) => [k, String(v)]))
      Object.assign(changelog.options, { config: { ...changelog.options.config, ...extra } })
    }
  }
  return spec.window ? windowed(table, spec.window) : table
}
