/** The built-in subcommands: worker, send, agents, tables, models, model, completion. */
import { Option, type Command as Program } from 'commander'
import type { App } from '../app/app.ts'
import { FaustusError } from '../errors.ts'
import { type AnyRecordClass, isRecordClass, records } from '../models/index.ts'
import { convertParam } from './app-commands.ts'
import { completionScript } from './completion.ts'
import { jsonText, table } from './format.ts'
import type { CliIO } from './io.ts'
import { checkManifests, runManifestsCommand } from './manifests.ts'
import { resetApp } from './reset.ts'
import { runSend, runWorker } from './run.ts'
import { runWorkerCommand, type WorkerCommandOptions } from './worker.ts'

export interface CliContext {
  app: App | undefined
  io: CliIO
  /** Whether app commands' console output is redirected to `io` (it is when `main` got its own writers). */
  capture: boolean
  /** The command line (as process.argv), for `worker --processes` to run it again per process. */
  argv?: readonly string[]
}

export const BUILTIN_COMMANDS = [
  'worker',
  'run',
  'send',
  'agents',
  'tables',
  'models',
  'model',
  'reset',
  'completion',
  'status',
  'help',
]

function requireApp(ctx: CliContext): App {
  if (ctx.app !== undefined) return ctx.app
  throw new FaustusError('FST_CLI_APP_NOT_FOUND', 'this command needs an app: pass -A <module> (or set FAUSTUS_APP)')
}

const jsonOption = () => new Option('--json', 'print JSON instead of a table')

function agentRows(app: App) {
  return [...app.agents.values()].map((agent) => ({
    name: agent.name,
    topic: agent.channel.name,
    concurrency: agent.concurrency,
    sinks: agent.options.sink?.length ?? 0,
    help: (agent.options as { help?: string }).help ?? '',
  }))
}

/** The registry's records, plus records the app's topics use (they may come from another registry). */
function recordClasses(app: App | undefined): AnyRecordClass[] {
  const found = new Map<string, AnyRecordClass>()
  for (const cls of records) found.set(cls.namespace, cls)
  for (const topic of new Set(app?.topics.values() ?? [])) {
    for (const type of [topic.options.keyType, topic.options.valueType]) {
      if (isRecordClass(type) && !found.has(type.namespace)) found.set(type.namespace, type)
    }
  }
  return [...found.values()].sort((a, b) => a.namespace.localeCompare(b.namespace))
}

function fieldRows(cls: AnyRecordClass) {
  return Object.entries(cls.shape as Record<string, unknown>).map(([name, spec]) => {
    if (isRecordClass(spec)) return { name, type: `record ${spec.namespace}`, optional: false }
    const field = spec as { kind: string; optional: boolean }
    return { name, type: field.kind, optional: field.optional }
  })
}

function findRecord(app: App | undefined, name: string): AnyRecordClass {
  const all = recordClasses(app)
  const exact = all.find((cls) => cls.namespace === name)
  if (exact !== undefined) return exact
  const short = all.filter((cls) => cls.shortName === name)
  if (short.length === 1) return short[0]
  throw new FaustusError(
    'FST_NAMESPACE_UNKNOWN',
    `no record named "${name}" (known: ${all.map((c) => c.namespace).join(', ') || 'none'})`,
    {
      details: { name },
    },
  )
}

function tableRows(app: App) {
  const tables = (app as { tables?: unknown }).tables
  if (!(tables instanceof Map)) return []
  return [...tables].map(([name, t]: [string, any]) => ({
    name,
    changelog: typeof t?.changelogTopic === 'string' ? t.changelogTopic : (t?.changelogTopic?.name ?? ''),
    help: t?.help ?? t?.options?.help ?? '',
  }))
}

/** `run --check` found invalid manifests: already reported, the exit code says so. */
export class ManifestCheckFailed extends Error {
  constructor(readonly exitCode: number) {
    super('invalid manifests')
  }
}

export function registerBuiltins(program: Program, ctx: CliContext): void {
  const { io } = ctx
  program
    .command('worker')
    .description('start a worker: run the agents, tasks and timers until SIGINT/SIGTERM')
    .option('--manifests <paths...>', 'also run the declarative YAML manifests in these files or directories')
    .option(
      '--processes <n>',
      'run n worker processes in one consumer group, supervised (auto: one per core); default: workerProcesses (1)',
    )
    .action((options: WorkerCommandOptions) => runWorkerCommand(requireApp(ctx), options, io, ctx.argv ?? []))

  program
    .command('run')
    .description('run the agents, tables and tasks declared in YAML manifests (files or directories)')
    .argument('<paths...>', 'manifest files or directories')
    .option('--check', 'validate every manifest and exit (0 valid, 1 not) without starting anything')
    .action(async (paths: string[], options: { check?: boolean }) => {
      // `--app NAME` after `run` names the manifest app (the global -A/--app loads a module elsewhere).
      const name = program.opts<{ app?: string }>().app
      const broker = program.opts<{ broker?: string }>().broker
      const common = { app: name, stdout: io.stdout, stderr: io.stderr, appOptions: broker ? { broker } : {} }
      const code = options.check
        ? await checkManifests(paths, common)
        : await runManifestsCommand(paths, { ...common, worker: (app) => runWorker(app, io) })
      if (code !== 0) throw new ManifestCheckFailed(code)
    })

  program
    .command('send')
    .description('send a value to a topic or an agent (@name) and print where it went')
    .argument('<entity>', 'topic name, agent name, or @agent')
    .argument('[value]', 'the value: JSON if it parses (records by "__faust.ns"), else a string')
    .option('-k, --key <key>', 'the message key')
    .option('-p, --partition <int>', 'the partition', (value: string) => convertParam('int', value))
    .action((entity: string, value: string | undefined, options: { key?: string; partition?: number }) =>
      runSend(requireApp(ctx), entity, value, options, io),
    )

  program
    .command('agents')
    .description('list the agents')
    .addOption(jsonOption())
    .action((options: { json?: boolean }) => {
      const rows = agentRows(requireApp(ctx))
      if (options.json) return io.stdout(jsonText(rows))
      const cells = rows.map((r) => [`@${r.name}`, r.topic, r.concurrency, r.sinks, r.help])
      io.stdout(table(['name', 'topic', 'concurrency', 'sinks', 'help'], cells))
    })

  program
    .command('tables')
    .description('list the tables')
    .addOption(jsonOption())
    .action((options: { json?: boolean }) => {
      const rows = tableRows(requireApp(ctx))
      if (options.json) return io.stdout(jsonText(rows))
      if (rows.length === 0) return io.stdout('No tables defined.\n')
      io.stdout(
        table(
          ['name', 'changelog', 'help'],
          rows.map((r) => [r.name, r.changelog, r.help]),
        ),
      )
    })

  program
    .command('models')
    .description('list the registered records')
    .addOption(jsonOption())
    .action((options: { json?: boolean }) => {
      const rows = recordClasses(ctx.app).map((cls) => ({ namespace: cls.namespace, fields: fieldRows(cls) }))
      if (options.json) return io.stdout(jsonText(rows))
      const describe = (fields: { name: string; type: string }[]) =>
        fields.map((f) => `${f.name}: ${f.type}`).join(', ')
      io.stdout(
        table(
          ['namespace', 'fields'],
          rows.map((r) => [r.namespace, describe(r.fields)]),
        ),
      )
    })

  program
    .command('model')
    .description("show one record's fields and their types")
    .argument('<name>', 'namespace (examples.agent.Add) or, when unique, the short name (Add)')
    .addOption(jsonOption())
    .action((name: string, options: { json?: boolean }) => {
      const cls = findRecord(ctx.app, name)
      const fields = fieldRows(cls)
      if (options.json) return io.stdout(jsonText({ namespace: cls.namespace, fields }))
      io.stdout(`${cls.namespace}\n`)
      io.stdout(
        table(
          ['field', 'type', 'required'],
          fields.map((f) => [f.name, f.type, f.optional ? 'no' : 'yes']),
        ),
      )
    })

  program
    .command('reset')
    .description(
      "start the app over: delete its local table state, its group's offsets, changelogs and repartition topics",
    )
    .option('-y, --yes', 'confirm: without it, reset only says what it would delete')
    .action(async (options: { yes?: boolean }) => {
      const result = await resetApp(requireApp(ctx), options)
      io.stdout(`${jsonText(result)}`)
    })

  program
    .command('completion')
    .description('print a bash completion script: eval "$(faustus -A <module> completion)"')
    .action(() => io.stdout(completionScript(program)))
}

/** App commands may not take a built-in's name: the built-in would silently win. */
export function checkCommandName(name: string): void {
  if (BUILTIN_COMMANDS.includes(name)) {
    throw new FaustusError('FST_APP_DEFINITION', `app command "${name}" has the name of a built-in command`)
  }
}
