/** Argument and option types a command can declare, and the values they parse to. */
export type ParamType = 'int' | 'float' | 'string' | 'boolean'

type ParamValue<T extends ParamType> = T extends 'int' | 'float' ? number : T extends 'boolean' ? boolean : string

export interface ArgumentSpec {
  type: ParamType
  help?: string
  /** An argument with a default may be omitted. */
  default?: unknown
}

export interface OptionSpec {
  type: ParamType
  help?: string
  default?: unknown
  /** For booleans: also accept `--no-<name>` (Faust's `--flag/--no-flag`). */
  negatable?: boolean
  /** One-letter alias, e.g. `p` for `-p`. */
  short?: string
}

export interface CommandSpec {
  help?: string
  /** Positional arguments, in declaration order. */
  args?: Record<string, ArgumentSpec>
  options?: Record<string, OptionSpec>
}

type ValuesOf<T extends Record<string, { type: ParamType }> | undefined> =
  T extends Record<string, { type: ParamType }> ? { [K in keyof T]: ParamValue<T[K]['type']> } : {}

/** What a command function receives: every argument and option, typed by its declaration. */
export type CommandParams<S extends CommandSpec> = ValuesOf<S['args']> & ValuesOf<S['options']>

export interface Command<S extends CommandSpec = CommandSpec> {
  name: string
  spec: S
  run(params: CommandParams<S>): Promise<unknown> | unknown
}
