/**
 * A resource's code as one program: `init` and every snippet compiled together into a factory, so that what init
 * declares is in scope of every operation and selector. The factory is compiled once per resource and run once per
 * app (`instantiate`); each snippet becomes a closure called per event. Snippet lines are kept at their YAML line
 * numbers in the factory source, so stack traces of runtime errors point into the manifest.
 */
import { createRequire } from 'node:module'
import vm from 'node:vm'
import { isFaustusError } from '../errors.ts'
import type { CompiledSnippet } from './code.ts'
import { displayPath, fieldPath, ManifestCodeError } from './issues.ts'
import type { Resource } from './resources.ts'
import type { Path } from './source.ts'

/** What every snippet of a resource sees besides its arguments. */
export interface ProgramScope {
  /** Free-form context: the app, the resource, a logger, a state object, a send helper. */
  context: Record<string, unknown>
  /** The app's tables by name. */
  tables: Record<string, unknown>
}

/** A snippet ready to call with its arguments (in the order of its parameters); may return a promise. */
export type SnippetCall = (args: readonly unknown[]) => unknown

const OPS = '__faustusOps'

function buildSource(pieces: { index: number; snippet: CompiledSnippet }[], init: CompiledSnippet | undefined): string {
  const lines: string[] = [`(async function (context, tables, require) {'use strict'; const ${OPS} = [];`]
  const ordered = [
    ...pieces.map((piece) => ({ ...piece, line: piece.snippet.line })),
    ...(init ? [{ init, line: init.line }] : []),
  ]
  ordered.sort((a, b) => a.line - b.line)
  for (const piece of ordered) {
    // A function's header goes on the line before its code; init's statements start on its own line.
    const startLine = 'init' in piece ? piece.line : piece.line - 1
    while (lines.length + 1 < startLine) lines.push('')
    const text = 'init' in piece ? `${piece.init?.source};` : `${OPS}[${piece.index}] = ${piece.snippet.source};`
    lines.push(...text.split('\n'))
  }
  lines.push(`return ${OPS}`, '})')
  return lines.join('\n')
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function'
}

async function* wrapIteration(results: AsyncIterable<unknown>, wrap: (error: unknown) => unknown) {
  try {
    yield* results
  } catch (error) {
    throw wrap(error)
  }
}

/** The program of one resource: its snippets by field path, once the factory has run. */
export class ResourceProgram {
  readonly #resource: Resource
  readonly #functions = new Map<string, { snippet: CompiledSnippet; fn: (...args: unknown[]) => unknown }>()
  readonly #scope: ProgramScope

  private constructor(resource: Resource, scope: ProgramScope) {
    this.#resource = resource
    this.#scope = scope
  }

  /** Compiles and runs the factory (init runs now); throws what init throws, with the resource named. */
  static async instantiate(resource: Resource, scope: ProgramScope): Promise<ResourceProgram> {
    const program = new ResourceProgram(resource, scope)
    const snippets = [...resource.code.values()]
    const init = snippets.find((snippet) => snippet.form === 'init')
    const pieces = snippets.filter((snippet) => snippet !== init).map((snippet, index) => ({ index, snippet }))
    const script = new vm.Script(buildSource(pieces, init), {
      filename: resource.file,
      importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
    })
    const factory = script.runInThisContext() as (...args: unknown[]) => Promise<unknown>
    let made: unknown
    try {
      made = await factory(scope.context, scope.tables, createRequire(resource.file))
    } catch (error) {
      throw program.#codeError(init?.path ?? ['spec'], init?.line ?? resource.line, error)
    }
    if (!Array.isArray(made)) {
      throw program.#codeError(init?.path ?? ['spec'], init?.line ?? resource.line, new Error('init must not return'))
    }
    for (const { index, snippet } of pieces) {
      let fn = made[index] as (...args: unknown[]) => unknown
      if (snippet.form === 'entrypoint') {
        // The code defining the entrypoint runs once; it returns the function to call per event.
        fn = (await fn()) as typeof fn
        if (typeof fn !== 'function') {
          const message = `entrypoint "${snippet.entrypoint}" is not a function the code defines`
          throw program.#codeError(snippet.path, snippet.line, new Error(message))
        }
      }
      program.#functions.set(snippet.path.join('.'), { snippet, fn })
    }
    return program
  }

  #where(path: Path, line: number): string {
    return `${this.#resource.label} ${fieldPath(path)} (${displayPath(this.#resource.file)}:${line})`
  }

  #codeError(path: Path, line: number, cause: unknown): ManifestCodeError {
    return new ManifestCodeError(this.#where(path, line), cause)
  }

  /** An error raised by the code at `path` (or about what it returned), naming the resource, field and line. */
  error(path: Path, cause: unknown): ManifestCodeError {
    const line = this.#functions.get(path.join('.'))?.snippet.line ?? this.#resource.line
    return this.#codeError(path, line, cause)
  }

  /** True when the resource has code at `path`. */
  has(path: Path): boolean {
    return this.#functions.has(path.join('.'))
  }

  /** Whether the snippet at `path` yields several results (a body using `yield`). */
  isGenerator(path: Path): boolean {
    return this.#functions.get(path.join('.'))?.snippet.form === 'generator'
  }

  /**
   * The snippet at `path` as a call taking its arguments (named by `names` for an entrypoint's scope object), then
   * `tableArgs` (the operation's tables, named by `tableNames`). Errors are wrapped with the resource and field,
   * except Faustus errors, which keep their code.
   */
  call(
    path: Path,
    names: readonly string[],
    tableArgs: readonly unknown[] = [],
    tableNames: readonly string[] = [],
  ): SnippetCall {
    const entry = this.#functions.get(path.join('.'))
    if (entry === undefined) throw new Error(`no code at ${fieldPath(path)}`)
    const { snippet, fn } = entry
    const wrap = (error: unknown) => (isFaustusError(error) ? error : this.#codeError(path, snippet.line, error))
    const invoke =
      snippet.form === 'entrypoint'
        ? (args: readonly unknown[]) => fn(args[0], this.#entryScope(names, args, tableNames, tableArgs))
        : tableArgs.length === 0
          ? (args: readonly unknown[]) => fn(...args)
          : (args: readonly unknown[]) => fn(...args, ...tableArgs)
    return (args) => {
      try {
        const result = invoke(args)
        if (isThenable(result)) return Promise.resolve(result).catch((error) => Promise.reject(wrap(error)))
        return snippet.form === 'generator' ? wrapIteration(result as AsyncIterable<unknown>, wrap) : result
      } catch (error) {
        throw wrap(error)
      }
    }
  }

  #entryScope(
    names: readonly string[],
    args: readonly unknown[],
    tableNames: readonly string[],
    tableArgs: readonly unknown[],
  ) {
    const scope: Record<string, unknown> = { ...this.#scope }
    names.forEach((name, i) => {
      scope[name] = args[i]
    })
    tableNames.forEach((name, i) => {
      scope[name] = tableArgs[i]
    })
    return scope
  }
}
