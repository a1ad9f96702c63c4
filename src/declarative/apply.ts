/**
 * `applyManifests(app, set)`: defines the tables, agents, tasks and web views of loaded manifests on an existing
 * app, beside its code agents. Everything is checked first (app labels, names already taken, tables that
 * operations use, topic patterns); any issue throws one ManifestError and nothing is defined.
 */
import type { Agent } from '../agents/agent.ts'
import type { App } from '../app/app.ts'
import type { Channel } from '../channels/channel.ts'
import type { Topic } from '../channels/topic.ts'
import { defineAgent } from './agent.ts'
import { formatIssue, ManifestError, type ManifestIssue } from './issues.ts'
import { defineJoin } from './join.ts'
import { appLabel } from './load.ts'
import { contextSend, outputTopic, topicOptions } from './outputs.ts'
import { resolvePatterns } from './patterns.ts'
import { type ProgramScope, ResourceProgram } from './program.ts'
import { declarations, declaredChannel, tablesView } from './registry.ts'
import { Reporter } from './reporter.ts'
import { type AnyResource, isKind, type ManifestSet, type Resource, resourceName } from './resources.ts'
import type { MetadataType } from './schema.ts'
import { defineTable } from './tables.ts'
import { defineTask } from './task.ts'
import { type DeclaredWebView, defineWebView } from './webview.ts'

export interface AppliedManifests {
  agents: Agent<any, any, any>[]
  tables: string[]
  tasks: string[]
  webViews: DeclaredWebView[]
}

function inputOf(resource: Resource<'Agent'>) {
  const field = resource.spec.input !== undefined ? 'input' : 'inputs'
  return { field, input: (resource.spec.input ?? resource.spec.inputs)! }
}

/** The resources of `set` that belong to `app`; labels naming neither it nor a declared app are issues. */
function select(app: App, resources: readonly AnyResource[], issues: ManifestIssue[]): AnyResource[] {
  const declaredApps = new Set(resources.filter((r) => r.kind === 'App').map((r) => r.name))
  return resources.filter((resource) => {
    if (resource.kind === 'App' || resource.app === undefined || resource.app === app.id) {
      return resource.kind !== 'App'
    }
    if (!declaredApps.has(resource.app)) {
      const metadata = (resource.document.value as { metadata: MetadataType }).metadata
      const path = appLabel(metadata)[0]?.path ?? ['metadata']
      reporterFor(resource, issues).report(
        path,
        `unknown app "${resource.app}": the manifests are applied to app "${app.id}"`,
      )
    }
    return false
  })
}

function reporterFor(resource: Resource, issues: ManifestIssue[]): Reporter {
  const reporter = new Reporter(resource.document, issues)
  reporter.resource = resource.label
  return reporter
}

function checkNames(app: App, resources: readonly AnyResource[], issues: ManifestIssue[]): void {
  const tables = new Set(resources.filter((r) => r.kind === 'Table').map((r) => resourceName(r)))
  for (const resource of resources) {
    const reporter = reporterFor(resource, issues)
    if (resource.kind === 'Agent' && app.agents.has(resource.name)) {
      reporter.report(['metadata', 'name'], `app "${app.id}" already has an agent named "${resource.name}"`)
    }
    if (resource.kind === 'Table' && app.tables.has(resourceName(resource))) {
      reporter.report(['metadata', 'name'], `app "${app.id}" already has a table named "${resourceName(resource)}"`)
    }
    if (resource.kind === 'Join') {
      for (const field of ['leftTable', 'rightTable'] as const) {
        const name = resource.spec[field]
        if (name !== undefined && !tables.has(name) && !app.tables.has(name)) {
          reporter.report(
            ['spec', field],
            `no table named "${name}" (declare a Table resource or app.table("${name}"))`,
          )
        }
      }
    }
    const operations = (resource.spec as { processors?: { operations?: { tables?: { name: string }[] }[] } })
      ?.processors?.operations
    operations?.forEach((operation, index) => {
      operation.tables?.forEach((ref, i) => {
        if (!tables.has(ref.name) && !app.tables.has(ref.name)) {
          const path = ['spec', 'processors', 'operations', index, 'tables', i, 'name']
          reporter.report(path, `no table named "${ref.name}" (declare a Table resource or app.table("${ref.name}"))`)
        }
      })
    })
  }
}

async function patternNames(app: App, agents: Resource<'Agent'>[], issues: ManifestIssue[]) {
  const patterns = agents.flatMap((agent) => inputOf(agent).input.topic?.pattern ?? [])
  const matches = await resolvePatterns(app, patterns)
  for (const agent of agents) {
    const { field, input } = inputOf(agent)
    const pattern = input.topic?.pattern
    const match = pattern === undefined ? undefined : matches.get(pattern)
    if (match === undefined || match.names.length > 0) continue
    const where = match.source === 'transport' ? 'among the topics of the broker' : 'among the topics the app declares'
    reporterFor(agent, issues).report(['spec', field, 'topic', 'pattern'], `pattern matched no topic ${where}`)
  }
  return matches
}

function inputChannel(app: App, resource: Resource<'Agent'>, patterns: Map<string, { names: string[] }>) {
  const { input } = inputOf(resource)
  if (input.channel) return declaredChannel(app, input.channel.name, input.channel.maxsize)
  const topic = { ...input.topic!, declare: input.declare }
  const names = topic.name ? [topic.name] : (topic.names ?? patterns.get(topic.pattern!)!.names)
  const options = topicOptions(topic)
  if (names.length === 1 && Object.keys(options).every((k) => k === 'keyType' || k === 'valueType')) {
    return outputTopic(app, names[0], topic)
  }
  return app.topic(...(names as [string, ...string[]]), options)
}

function scopeFor(app: App, resource: Resource): ProgramScope {
  const log = app.log.child({ resource: resource.label })
  const context = {
    app,
    resource: { kind: resource.kind, name: resource.name, file: resource.file },
    log,
    state: {},
    send: contextSend(app),
  }
  return { context, tables: tablesView(app) }
}

/** Defines the resources of `set` that belong to `app` (its id, or no app label) on `app`. */
export async function applyManifests(app: App, set: ManifestSet | readonly AnyResource[]): Promise<AppliedManifests> {
  const all = 'resources' in set ? set.resources : set
  const issues: ManifestIssue[] = []
  const mine = select(app, all, issues)
  // Warnings about this app's resources (and its App resource): fields accepted but not applied.
  const labels = new Set(
    all.filter((r) => mine.includes(r) || (r.kind === 'App' && r.name === app.id)).map((r) => r.label),
  )
  for (const warning of 'resources' in set ? (set.warnings ?? []) : []) {
    if (warning.resource === undefined || !labels.has(warning.resource)) continue
    app.log.warn({ file: warning.file, line: warning.line, field: warning.field }, `manifest: ${formatIssue(warning)}`)
  }
  checkNames(app, mine, issues)
  const agents = mine.filter((r): r is Resource<'Agent'> => isKind(r, 'Agent'))
  const patterns = await patternNames(app, agents, issues)
  if (issues.length > 0) throw new ManifestError(issues)

  const registry = declarations(app)
  const applied: AppliedManifests = { agents: [], tables: [], tasks: [], webViews: [] }
  const programs = new Map<Resource, ResourceProgram>()
  const programOf = async (resource: Resource) => {
    const program = await ResourceProgram.instantiate(resource, scopeFor(app, resource))
    programs.set(resource, program)
    return program
  }
  for (const resource of mine) {
    if (!isKind(resource, 'Table')) continue
    const program = resource.code.size > 0 ? await programOf(resource) : undefined
    registry.tables.set(resourceName(resource), defineTable(app, resource, program))
    applied.tables.push(resourceName(resource))
  }
  for (const resource of mine) if (!isKind(resource, 'Table')) await programOf(resource)
  const table = (name: string) => registry.tables.get(name) ?? app.tables.get(name)
  for (const resource of mine) {
    if (isKind(resource, 'Table')) continue
    const ctx = { app, program: programs.get(resource)!, table }
    if (isKind(resource, 'Agent')) {
      const channel: Topic<any, any> | Channel<any, any> = inputChannel(app, resource, patterns)
      applied.agents.push(defineAgent(app, resource, channel, ctx))
    } else if (isKind(resource, 'Task')) {
      defineTask(app, resource, ctx)
      applied.tasks.push(resourceName(resource))
    } else if (isKind(resource, 'Join')) {
      defineJoin(app, resource, ctx)
    } else if (isKind(resource, 'WebView')) {
      const view = defineWebView(resource, ctx)
      registry.webViews.push(view)
      applied.webViews.push(view)
    }
  }
  registry.resources.push(...mine)
  return applied
}
