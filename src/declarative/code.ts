/**
 * Compiling the code snippets of manifests, once, at load time. A snippet is JavaScript (or TypeScript, with its
 * types stripped by esbuild) written as an expression (`value.age >= 18`), a function body using `return`, a body
 * using `yield` (several results), or code defining functions with `entrypoint` naming the one to call. Syntax
 * errors are reported at their line and column in the YAML file. Manifests are trusted configuration: the code runs
 * with the app's privileges, as a module would; message data is only ever passed to it as values.
 */
import vm from 'node:vm'
import type { Reporter } from './reporter.ts'
import type { CodeSpec } from './schema-parts.ts'
import { type Path, type Position, scalarStart } from './source.ts'

/** How a compiled snippet is called. */
export type SnippetForm = 'expression' | 'body' | 'generator' | 'entrypoint' | 'init'

export interface SnippetRequest {
  /** Path of the code object (e.g. `spec.processors.operations[0].map`). */
  path: Path
  code: CodeSpec
  /** Parameter names of the function (init has none: it runs in the resource's scope). */
  params: readonly string[]
  init?: boolean
}

export interface CompiledSnippet {
  path: Path
  form: SnippetForm
  /** JavaScript: a function expression, or statements for init. */
  source: string
  /** YAML line of the code's first line. */
  line: number
  /** The function an `entrypoint` snippet names. */
  entrypoint?: string
}

type Esbuild = typeof import('esbuild')
let esbuild: Esbuild | undefined

/** esbuild (a dependency of tsx) is loaded only when a manifest has TypeScript code. */
export async function loadTypeScript(): Promise<void> {
  esbuild ??= await import('esbuild')
}

interface SyntaxProblem {
  message: string
  /** 1-based line and 0-based column within the checked source. */
  line: number
  column: number
}

/** V8's verdict on a script: undefined when it compiles. */
function v8Check(source: string): SyntaxProblem | undefined {
  try {
    new vm.Script(source, { filename: 'snippet' })
    return undefined
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error
    // The stack starts "snippet:LINE\n<source line>\n<spaces>^^^".
    const [first = '', , caret = ''] = (error.stack ?? '').split('\n')
    const line = Number(/:(\d+)\s*$/.exec(first)?.[1] ?? 1)
    return { message: error.message, line, column: Math.max(0, caret.indexOf('^')) }
  }
}

/** TypeScript to JavaScript; a problem when esbuild rejects it. */
function stripTypes(source: string): { code: string } | { problem: SyntaxProblem } {
  if (esbuild === undefined) throw new Error('loadTypeScript() must run before TypeScript snippets compile')
  try {
    const { code } = esbuild.transformSync(source, { loader: 'ts', target: 'es2023' })
    return { code: code.trim().replace(/;$/, '') }
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { line: number; column: number } }[] }).errors?.[0]
    return {
      problem: {
        message: first?.text ?? String(error),
        line: first?.location?.line ?? 1,
        column: first?.location?.column ?? 0,
      },
    }
  }
}

function header(form: SnippetForm, params: readonly string[], isAsync: boolean): string {
  const list = params.join(', ')
  if (form === 'entrypoint' || form === 'init') return `(${isAsync ? 'async ' : ''}function () {'use strict';`
  if (form === 'generator') return `(async function* (${list}) {'use strict';`
  const fn = `(${isAsync ? 'async ' : ''}function (${list}) {'use strict';`
  return form === 'expression' ? `${fn} return (` : fn
}

/** The function source of a form: the header on line 1, the code from line 2, so lines map 1:1 after it. */
function wrap(form: SnippetForm, code: string, params: readonly string[], entrypoint?: string): string {
  const isAsync = /\bawait\b/.test(code)
  const start = header(form, params, isAsync)
  if (form === 'expression') return `${start}\n${code.replace(/[\s;]+$/, '')}\n)})`
  if (form === 'entrypoint') return `${start}\n${code}\nreturn ${entrypoint}\n})`
  return `${start}\n${code}\n})`
}

function candidates(request: SnippetRequest): SnippetForm[] {
  if (request.init) return ['init']
  if (request.code.entrypoint !== undefined) return ['entrypoint']
  const code = request.code.javascript ?? request.code.typescript ?? ''
  return /\byield\b/.test(code) ? ['expression', 'body', 'generator'] : ['expression', 'body']
}

function compileForm(form: SnippetForm, request: SnippetRequest, typescript: boolean) {
  const code = (typescript ? request.code.typescript : request.code.javascript) ?? ''
  const wrapped = wrap(form, code, request.params, request.code.entrypoint)
  if (!typescript) {
    const problem = v8Check(wrapped)
    return problem === undefined ? { source: wrapped } : { problem }
  }
  const stripped = stripTypes(wrapped)
  if ('problem' in stripped) return stripped
  const problem = v8Check(stripped.code)
  // Lines of esbuild's output do not map to the YAML: report V8's rare objections at the code's start.
  return problem === undefined ? { source: stripped.code } : { problem: { ...problem, line: 2, column: 0 } }
}

function languageField(code: CodeSpec): 'javascript' | 'typescript' {
  return code.typescript !== undefined ? 'typescript' : 'javascript'
}

/** Where a problem in the wrapped source is in the YAML file (line 2 of the wrapper is the code's first line). */
function yamlPosition(start: Position & { block: boolean }, problem: SyntaxProblem, code: string): Position {
  const lines = code.replace(/\n+$/, '').split('\n')
  const codeLine = Math.max(1, problem.line - 1)
  // An error found in the wrapper's closing line (an unfinished expression) belongs to the code's last line.
  if (codeLine > lines.length) {
    const last = lines.length
    return { line: start.line + (start.block ? last - 1 : 0), column: start.column + lines[last - 1].length }
  }
  if (!start.block) return { line: start.line, column: start.column + (codeLine === 1 ? problem.column : 0) }
  return { line: start.line + codeLine - 1, column: start.column + problem.column }
}

/**
 * Compiles a snippet, trying its forms in order (an expression first, then a body); reports the syntax error of
 * the most general form when none compiles.
 */
export function compileSnippet(request: SnippetRequest, reporter: Reporter): CompiledSnippet | undefined {
  const field = languageField(request.code)
  const typescript = field === 'typescript'
  const start = scalarStart(reporter.md, [...request.path, field])
  const problems = new Map<SnippetForm, SyntaxProblem>()
  for (const form of candidates(request)) {
    const result = compileForm(form, request, typescript)
    if ('source' in result && result.source !== undefined) {
      const source = initStatements(form, result.source)
      return { path: request.path, form, source, line: start.line, entrypoint: request.code.entrypoint }
    }
    if ('problem' in result) problems.set(form, result.problem)
  }
  // An expression is only the shorthand: show the error of the most general form tried.
  const failure = problems.get('generator') ?? problems.get('body') ?? [...problems.values()][0]
  if (failure !== undefined) {
    const position = yamlPosition(start, failure, request.code[field] ?? '')
    const language = typescript ? 'TypeScript' : 'JavaScript'
    reporter.reportAt(position, [...request.path, field], `${language} syntax error: ${failure.message}`)
  }
  return undefined
}

/** Init code runs in the resource's scope: its statements, without the checking wrapper (code from line 1). */
function initStatements(form: SnippetForm, source: string): string {
  if (form !== 'init') return source
  const body = source.slice(source.indexOf('{') + 1, source.lastIndexOf('}'))
  return body.replace(/^\s*['"]use strict['"];?[^\S\n]*\n?/, '')
}
