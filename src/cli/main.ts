/**
 * The `faustus` command (Faust's `faust`): global options, built-in subcommands, and one subcommand per
 * `app.command`. `main` returns the exit code: 0 done, 1 failed, 2 bad usage.
 */
import { readFileSync } from 'node:fs'
import { Option, Command as Program } from 'commander'
import type { App } from '../app/app.ts'
import { resolveSettings } from '../app/settings.ts'
import { CliUsageError } from '../errors.ts'
import { addAppCommand } from './app-commands.ts'
import { applyEnvironment, scanEarlyOptions } from './argv.ts'
import { type CliContext, checkCommandName, ManifestCheckFailed, registerBuiltins } from './builtins.ts'
import { formatError } from './format.ts'
import { type CliIO, defaultIO } from './io.ts'
import { loadApp } from './load-app.ts'
import { runAppCommand } from './run.ts'
import { registerStatus } from './status.ts'
// Workers serve health, metrics, table lookups and the dashboard (src/web registers itself with the app).
import '../web/index.ts'

export type { CliIO } from './io.ts'

export const EXIT_OK = 0
export const EXIT_ERROR = 1
export const EXIT_USAGE = 2

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']
const LOG_FORMATS = ['auto', 'json', 'pretty']

/** src/cli/main.ts and dist/cli/main.js are both two levels below package.json. */
function packageVersion(): string {
  return JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version
}

export function buildProgram(ctx: CliContext): Program {
  const { io } = ctx
  const program = new Program('faustus')
    .description('Stream processing for TypeScript on Kafka, in the manner of Python Faust')
    .version(packageVersion(), '--version', 'print the version and exit')
    .option('-A, --app <module>', 'the app module: a .ts/.js file exporting an App (path or path:exportName)')
    .option('-l, --loglevel <level>', `log level (${LOG_LEVELS.join('|')}); default warn, info for worker`)
    .option('--broker <url>', "broker URL overriding the app's (memory://, kafka://host:port)")
    .addOption(
      new Option('--log-format <format>', 'log lines: readable on a terminal, else JSON (auto), or always one').choices(
        LOG_FORMATS,
      ),
    )
    .option('--web-port <port>', 'web server port (worker; 0 picks a free one); default 6066')
    .option('--web-host <host>', 'web server bind address (worker); default 127.0.0.1')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)')
  registerBuiltins(program, ctx)
  registerStatus(program, ctx)
  for (const command of ctx.app?.commands.values() ?? []) {
    checkCommandName(command.name)
    addAppCommand(program, command, (cmd, params) => runAppCommand(ctx.app!, cmd, params, io, ctx.capture))
  }
  return program
}

function isCommanderError(error: unknown): error is { code: string; exitCode: number } {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('commander.')
}

function exitCodeOf(error: unknown, ctx: { io: CliIO; app: App | undefined }): number {
  if (error instanceof ManifestCheckFailed) return error.exitCode
  if (isCommanderError(error)) {
    // Commander has already printed the message (and help, for usage errors).
    if (error.exitCode === 0) return EXIT_OK
    if (error.code === 'commander.unknownCommand' && ctx.app === undefined) {
      ctx.io.stderr('(app commands need the app: pass -A <module>)\n')
    }
    return EXIT_USAGE
  }
  ctx.io.stderr(formatError(error))
  if ((error as { code?: unknown } | null)?.code === 'FST_CLI_USAGE') {
    ctx.io.stderr('(run with --help for usage)\n')
    return EXIT_USAGE
  }
  return EXIT_ERROR
}

/**
 * The flags that set app settings, for an app built before the command line was read (`app.main()`): the broker
 * and log level it was built with are replaced, as the environment variables would have set them.
 */
function applyFlagsToApp(app: App, early: { broker?: string; loglevel?: string }): void {
  if (early.broker !== undefined) {
    const settings = resolveSettings({ ...app.settings, broker: early.broker }, {})
    Object.assign(app.settings, { broker: settings.broker })
  }
  const level = early.loglevel?.toLowerCase()
  if (level !== undefined && typeof (app.log as { level?: unknown }).level === 'string') {
    ;(app.log as unknown as { level: string }).level = level
  }
}

/**
 * Runs the CLI on `argv` (as process.argv: node, script, args...) and returns the exit code. With `options.app`, the
 * commands run for that app (Faust's `app.main()`) and `-A` is not needed.
 */
export async function main(
  argv: readonly string[],
  io: Partial<CliIO> = {},
  options: { app?: App } = {},
): Promise<number> {
  const ctx: CliContext = { app: undefined, io: { ...defaultIO(), ...io }, capture: io.stdout !== undefined, argv }
  const args = argv.slice(2)
  const early = scanEarlyOptions(args)
  let restoreEnvironment = () => {}
  try {
    const level = early.loglevel?.toLowerCase()
    if (level !== undefined && !LOG_LEVELS.includes(level)) {
      throw new CliUsageError(`invalid log level '${early.loglevel}' (choose from ${LOG_LEVELS.join(', ')})`)
    }
    // Settings are read when the App is constructed, i.e. while importing the module: set them first.
    const defaultLevel = process.env.FAUSTUS_LOG_LEVEL ? undefined : early.command === 'worker' ? 'info' : 'warn'
    // Flags given on the command line win over the app's own options; the default level does not.
    if (early.logFormat !== undefined && !LOG_FORMATS.includes(early.logFormat)) {
      throw new CliUsageError(`invalid log format '${early.logFormat}' (choose from ${LOG_FORMATS.join(', ')})`)
    }
    const forced = [
      early.broker !== undefined && 'broker',
      level !== undefined && 'logLevel',
      early.logFormat !== undefined && 'logFormat',
      early.webPort !== undefined && 'webPort',
      early.webHost !== undefined && 'webHost',
    ].filter(Boolean)
    // A worker serves its web surface unless the app or the environment says otherwise; one-shot commands do not.
    const serving = early.command === 'worker' || early.command === 'run'
    restoreEnvironment = applyEnvironment({
      FAUSTUS_WEB_ENABLED: serving && process.env.FAUSTUS_WEB_ENABLED === undefined ? 'true' : undefined,
      FAUSTUS_WEB_PORT: early.webPort,
      FAUSTUS_WEB_HOST: early.webHost,
      FAUSTUS_BROKER: early.broker,
      FAUSTUS_LOG_LEVEL: level ?? defaultLevel,
      FAUSTUS_LOG_FORMAT: early.logFormat,
      FAUSTUS_CLI_OVERRIDES: forced.length > 0 ? forced.join(',') : undefined,
    })
    // For `run`, --app names the app of the manifests, not a module to load.
    const appSpec = early.command === 'run' ? undefined : (early.app ?? process.env.FAUSTUS_APP)
    if (options.app !== undefined) {
      if (early.app !== undefined) throw new CliUsageError('-A/--app: this script runs its own app (app.main())')
      ctx.app = options.app
      applyFlagsToApp(ctx.app, early)
    } else if (appSpec) ctx.app = await loadApp(appSpec, ctx.io.cwd)
    await buildProgram(ctx).parseAsync(args, { from: 'user' })
    return EXIT_OK
  } catch (error) {
    return exitCodeOf(error, ctx)
  } finally {
    restoreEnvironment()
  }
}
