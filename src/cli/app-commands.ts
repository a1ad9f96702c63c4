/** `app.command(name, spec, run)` declarations as commander subcommands: arguments, options, types, defaults. */
import { Argument, InvalidArgumentError, Option, type Command as Program } from 'commander'
import type { Command, CommandSpec, ParamType } from '../app/commands.ts'

const BOOLEANS: Record<string, boolean> = {
  true: true,
  yes: true,
  on: true,
  1: true,
  false: false,
  no: false,
  off: false,
  0: false,
}

/** A command-line string as `type`; the InvalidArgumentError becomes commander's usage error naming the parameter. */
export function convertParam(type: ParamType, raw: string): unknown {
  switch (type) {
    case 'int': {
      const value = Number(raw)
      if (!/^\s*[+-]?\d+\s*$/.test(raw) || !Number.isSafeInteger(value)) {
        throw new InvalidArgumentError(`Expected an integer, got '${raw}'.`)
      }
      return value
    }
    case 'float': {
      const value = Number(raw)
      if (raw.trim() === '' || !Number.isFinite(value))
        throw new InvalidArgumentError(`Expected a number, got '${raw}'.`)
      return value
    }
    case 'boolean': {
      const value = BOOLEANS[raw.trim().toLowerCase()]
      if (value === undefined) throw new InvalidArgumentError(`Expected true or false, got '${raw}'.`)
      return value
    }
    default:
      return raw
  }
}

/** `dryRun` and `dry_run` both become `--dry-run`, as click spells Faust's options. */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replaceAll('_', '-')
}

export type RunAppCommand = (command: Command<any>, params: Record<string, unknown>) => Promise<void>

/** Adds `command` to `program`; running it calls `run` with the parameters named as the spec names them. */
export function addAppCommand(program: Program, command: Command<any>, run: RunAppCommand): Program {
  const spec: CommandSpec = command.spec
  const sub = program.command(command.name).description(spec.help ?? '')
  const argNames = Object.keys(spec.args ?? {})
  for (const [name, arg] of Object.entries(spec.args ?? {})) {
    const argument = new Argument(arg.default === undefined ? `<${name}>` : `[${name}]`, arg.help ?? '')
    if (arg.type !== 'string') argument.argParser((value: string) => convertParam(arg.type, value))
    if (arg.default !== undefined) argument.default(arg.default)
    sub.addArgument(argument)
  }
  const optionNames: [name: string, attribute: string][] = []
  for (const [name, declared] of Object.entries(spec.options ?? {})) {
    const long = `--${flagName(name)}`
    const short = declared.short === undefined ? '' : `-${declared.short}, `
    const value = declared.type === 'boolean' ? '' : ` <${declared.type}>`
    const option = new Option(`${short}${long}${value}`, declared.help ?? '')
    if (declared.type !== 'boolean' && declared.type !== 'string') {
      option.argParser((raw: string) => convertParam(declared.type, raw))
    }
    const fallback = declared.default ?? (declared.type === 'boolean' ? false : undefined)
    if (fallback !== undefined) option.default(fallback)
    sub.addOption(option)
    if (declared.type === 'boolean' && declared.negatable) {
      sub.addOption(new Option(`--no-${flagName(name)}`, `disable ${long}`))
    }
    optionNames.push([name, option.attributeName()])
  }
  sub.action(async (...received: unknown[]) => {
    const self = received[received.length - 1] as Program
    const params: Record<string, unknown> = {}
    argNames.forEach((name, i) => {
      params[name] = self.processedArgs[i]
    })
    const values = self.opts()
    for (const [name, attribute] of optionNames) params[name] = values[attribute]
    await run(command, params)
  })
  return sub
}
