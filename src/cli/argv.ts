/**
 * The global options that must be known before the program is built: the app module (its commands become
 * subcommands), and the broker and log level (settings are read from the environment when the App is constructed,
 * i.e. when the module is imported). Commander parses them again later, for help and validation; both accept them
 * before or after the subcommand, up to `--`.
 */
export interface EarlyOptions {
  app?: string
  loglevel?: string
  broker?: string
  logFormat?: string
  webPort?: string
  webHost?: string
  /** The first operand: the subcommand name. */
  command?: string
}

const VALUED: Record<string, keyof EarlyOptions> = {
  '-A': 'app',
  '--app': 'app',
  '-l': 'loglevel',
  '--loglevel': 'loglevel',
  '--broker': 'broker',
  '--log-format': 'logFormat',
  '--web-port': 'webPort',
  '--web-host': 'webHost',
}

export function scanEarlyOptions(args: readonly string[]): EarlyOptions {
  const found: EarlyOptions = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '--') break
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1
    if (eq > 0 && VALUED[arg.slice(0, eq)] !== undefined) {
      found[VALUED[arg.slice(0, eq)]] = arg.slice(eq + 1)
    } else if (VALUED[arg] !== undefined) {
      if (i + 1 < args.length) found[VALUED[arg]] = args[++i]
    } else if (/^-[Al]./.test(arg)) {
      // Short option with its value attached: -Aexamples/agent.ts, -linfo.
      found[arg[1] === 'A' ? 'app' : 'loglevel'] = arg.slice(2)
    } else if (!arg.startsWith('-') && found.command === undefined) {
      found.command = arg
    }
  }
  return found
}

/**
 * Sets `FAUSTUS_*` variables for the app's settings and returns a function restoring the previous values (main()
 * may run many times in one process, as in tests).
 */
export function applyEnvironment(values: Record<string, string | undefined>): () => void {
  const previous = new Map<string, string | undefined>()
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue
    previous.set(name, process.env[name])
    process.env[name] = value
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}
