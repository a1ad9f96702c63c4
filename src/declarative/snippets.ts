/** Where the code of each kind of resource is, and what names each snippet sees. */
import type { SnippetRequest } from './code.ts'
import { fieldPath } from './issues.ts'
import type { Reporter } from './reporter.ts'
import { paramVariables } from './routes.ts'
import type { ResourceKind } from './schema.ts'
import type { CodeSpec, OperationSpec, ProcessorsSpec, TopicOutputSpec } from './schema-parts.ts'
import type { Path } from './source.ts'

/** The values each operation of a resource kind is given, in order (then its tables, by `paramName`). */
export const OPERATION_PARAMS: Record<'Agent' | 'Task' | 'WebView', readonly string[]> = {
  Agent: ['value', 'key', 'headers', 'event'],
  Task: ['value'],
  WebView: ['value', 'request', 'params'],
}

/** What a web view's operations get: the request's body, the request, its path params, then each param by name. */
export function webViewParams(path: string): string[] {
  return [...OPERATION_PARAMS.WebView, ...paramVariables(path, [...OPERATION_PARAMS.WebView, 'context', 'tables'])]
}

const SELECTORS = [
  'nameSelector',
  'keySelector',
  'valueSelector',
  'partitionSelector',
  'headersSelector',
  'predicate',
] as const

function outputSnippets(output: TopicOutputSpec, path: Path, params: readonly string[]): SnippetRequest[] {
  return SELECTORS.filter((selector) => output[selector] !== undefined).map((selector) => ({
    path: [...path, selector],
    code: output[selector] as CodeSpec,
    params,
  }))
}

function operationCode(operation: OperationSpec): [string, CodeSpec] | undefined {
  if (operation.map) return ['map', operation.map]
  if (operation.filter) return ['filter', operation.filter]
  if (operation.groupBy) return ['groupBy', operation.groupBy]
  return undefined
}

function processorSnippets(processors: ProcessorsSpec | undefined, params: readonly string[]): SnippetRequest[] {
  if (processors === undefined) return []
  const base: Path = ['spec', 'processors']
  const out: SnippetRequest[] = []
  if (processors.init) out.push({ path: [...base, 'init'], code: processors.init, params: [], init: true })
  processors.operations?.forEach((operation, index) => {
    const path = [...base, 'operations', index]
    const tables = (operation.tables ?? []).map((table) => table.paramName)
    const code = operationCode(operation)
    if (code) out.push({ path: [...path, code[0]], code: code[1], params: [...params, ...tables] })
    if (operation.topicSend) out.push(...outputSnippets(operation.topicSend, [...path, 'topicSend'], params))
  })
  return out
}

/** Every snippet of a resource's spec. */
export function snippetsOf(kind: ResourceKind, spec: any): SnippetRequest[] {
  if (spec === undefined) return []
  switch (kind) {
    case 'Agent': {
      const params = OPERATION_PARAMS.Agent
      const outputs = (spec.output?.topics ?? []) as TopicOutputSpec[]
      return [
        ...processorSnippets(spec.processors, params),
        ...outputs.flatMap((output, i) => outputSnippets(output, ['spec', 'output', 'topics', i], params)),
      ]
    }
    case 'Task':
      return processorSnippets(spec.processors, OPERATION_PARAMS.Task)
    case 'WebView': {
      const names = webViewParams(spec.request?.path ?? '/')
      const out = processorSnippets(spec.processors, names)
      for (const selector of ['bodySelector', 'statusCodeSelector', 'headersSelector']) {
        for (const outcome of ['onSuccess', 'onError'] as const) {
          const code = spec.response?.[selector]?.[outcome] as CodeSpec | undefined
          const params = [outcome === 'onSuccess' ? 'value' : 'error', ...names.slice(1)]
          if (code) out.push({ path: ['spec', 'response', selector, outcome], code, params })
        }
      }
      return out
    }
    case 'Table': {
      const out: SnippetRequest[] = (['default', 'defaultSelector'] as const)
        .filter((field) => spec[field] !== undefined)
        .map((field) => ({ path: ['spec', field], code: spec[field] as CodeSpec, params: [] }))
      const relative = spec.window?.relativeToSelector as CodeSpec | undefined
      if (relative) out.push({ path: ['spec', 'window', 'relativeToSelector'], code: relative, params: ['value'] })
      const merge = spec.window?.merge as CodeSpec | undefined
      if (merge) out.push({ path: ['spec', 'window', 'merge'], code: merge, params: ['earlier', 'later'] })
      const onClose = spec.window?.onWindowClose as CodeSpec | undefined
      if (onClose)
        out.push({ path: ['spec', 'window', 'onWindowClose'], code: onClose, params: ['key', 'value', 'window'] })
      return out
    }
    case 'Join':
      // Kaspr's extractor gets the left table's value (and its key).
      return spec.extractor === undefined
        ? []
        : [{ path: ['spec', 'extractor'], code: spec.extractor, params: ['value', 'key'] }]
    case 'App':
      return []
  }
}

/** Exactly one language; Kaspr's Python gets a message naming the field to translate. */
export function checkLanguage(request: SnippetRequest, reporter: Reporter): boolean {
  const { code, path } = request
  const languages = (['javascript', 'typescript', 'python'] as const).filter((l) => code[l] !== undefined)
  if (code.python !== undefined) {
    reporter.report(
      [...path, 'python'],
      `Python code is not supported: translate ${fieldPath([...path, 'python'])} to JavaScript under ` +
        '"javascript:" (or TypeScript under "typescript:"); see docs/declarative.md',
      'key',
    )
    return false
  }
  if (languages.length === 0) {
    reporter.report(path, 'code needs "javascript:" or "typescript:"', 'key')
    return false
  }
  if (languages.length > 1) {
    reporter.report(path, `code has both ${languages.join(' and ')}: keep one`, 'key')
    return false
  }
  return true
}
