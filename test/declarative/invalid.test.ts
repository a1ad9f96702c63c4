import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import { loadManifests, type ManifestError, runManifests } from '../../src/declarative/index.ts'
import { manifestDir } from './helpers.ts'

const APP = `apiVersion: kaspr.io/v1alpha1
kind: KasprApp
metadata:
  name: loyalty-app
`

/** An agent manifest with `spec` (indented under spec:) and extra metadata lines. */
function agent(spec: string, metadata = ''): string {
  return `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: offer-generator
${metadata}spec:
${spec}`
}

const INPUT = `  inputs:
    topic:
      names: [customers]
`

async function issuesOf(dir: string) {
  try {
    await loadManifests(dir)
  } catch (error) {
    expect((error as ManifestError).code).toBe('FST_MANIFEST_INVALID')
    return (error as ManifestError).issues
  }
  throw new Error('expected invalid manifests')
}

interface Case {
  name: string
  yaml: string
  line: number
  column?: number
  field?: string
  message: RegExp
}

const CASES: Case[] = [
  {
    name: 'unknown kind',
    yaml: agent(INPUT).replace('kind: KasprAgent', 'kind: KasprAgant'),
    line: 2,
    column: 7,
    field: 'kind',
    message: /unknown kind "KasprAgant" \(did you mean "KasprAgent"\?\)/,
  },
  {
    name: 'missing input',
    yaml: agent('  description: no input\n'),
    line: 5,
    column: 1,
    field: 'spec',
    message: /missing required field "input" \(or "inputs"\)/,
  },
  {
    name: 'an operation after a terminal one',
    yaml: agent(`${INPUT}  processors:
    pipeline: [send, enrich]
    operations:
      - name: enrich
        map:
          javascript: '({ ...value, seen: true })'
      - name: send
        topicSend:
          name: offers
`),
    line: 10,
    column: 22,
    field: 'spec.processors.pipeline[1]',
    message: /operation "enrich" comes after "send", a terminal operation/,
  },
  {
    name: 'bad regex',
    yaml: agent(`  inputs:
    topic:
      pattern: 'customers-(eu|us'
`),
    line: 8,
    column: 16,
    field: 'spec.inputs.topic.pattern',
    message: /not a valid regular expression: .*Unterminated group/,
  },
  {
    name: 'snippet syntax error',
    yaml: agent(`${INPUT}  processors:
    operations:
      - name: enrich
        map:
          javascript: |
            const bonus = 10
            return { ...value, points: value.points +* bonus }
`),
    line: 15,
    column: 54,
    field: 'spec.processors.operations[0].map.javascript',
    message: /JavaScript syntax error: Unexpected token '\*'/,
  },
  {
    name: 'TypeScript snippet syntax error',
    yaml: agent(`${INPUT}  processors:
    operations:
      - name: enrich
        filter:
          typescript: |
            const limit: number = 18
            return (value.age as number) >= limit)
`),
    line: 15,
    column: 50,
    field: 'spec.processors.operations[0].filter.typescript',
    message: /TypeScript syntax error: Expected ";" but found "\)"/,
  },
  {
    name: 'unknown app label',
    yaml: agent(INPUT, '  labels:\n    kaspr.io/app: loyalty-ap\n'),
    line: 6,
    column: 19,
    field: 'metadata.labels.kaspr.io/app',
    message: /unknown app "loyalty-ap": known apps are loyalty-app/,
  },
  {
    name: 'Python code (Kaspr)',
    yaml: agent(`${INPUT}  processors:
    operations:
      - name: adults
        filter:
          python: |
            def adults(value):
                return value['age'] >= 18
`),
    line: 13,
    column: 11,
    field: 'spec.processors.operations[0].filter.python',
    message: /Python code is not supported: translate spec.processors.operations\[0\].filter.python to JavaScript/,
  },
  {
    name: 'a field of the wrong type',
    yaml: agent(`${INPUT}  concurrency: two\n`),
    line: 9,
    column: 16,
    field: 'spec.concurrency',
    message: /expected integer, got "two"/,
  },
  {
    name: 'a misspelt field',
    yaml: agent(`${INPUT}  procesors: {}\n`),
    line: 9,
    column: 3,
    field: 'spec.procesors',
    message: /unknown field "procesors" \(did you mean "processors"\?\)/,
  },
  {
    name: 'YAML syntax',
    yaml: agent(`${INPUT}  concurrency: [1\n`),
    line: 10,
    message: /YAML: /,
  },
]

describe('invalid manifests: one clear error with file, line and column, and nothing starts', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const dir = manifestDir({ 'app.yaml': APP, 'agent.yaml': c.yaml })
      const issues = await issuesOf(dir)
      expect(issues).toHaveLength(1)
      const [issue] = issues
      expect(issue.file).toBe(join(dir, 'agent.yaml'))
      expect(issue.line).toBe(c.line)
      if (c.column !== undefined) expect(issue.column).toBe(c.column)
      if (c.field !== undefined) expect(issue.field).toBe(c.field)
      expect(issue.message).toMatch(c.message)
      if (c.name !== 'unknown kind' && c.name !== 'YAML syntax')
        expect(issue.resource).toBe('KasprAgent "offer-generator"')

      const worker = vi.fn(async () => {})
      await expect(runManifests(dir, { worker })).rejects.toMatchObject({ code: 'FST_MANIFEST_INVALID' })
      expect(worker).not.toHaveBeenCalled()
      const stderr: string[] = []
      expect(await runManifests(dir, { check: true, stdout: () => {}, stderr: (t) => stderr.push(t) })).toBe(1)
      expect(stderr.join('')).toContain(`agent.yaml:${c.line}:`)
    })
  }

  it('reports every error of every file together, sorted by file and line', async () => {
    const dir = manifestDir({
      'a-app.yaml': APP,
      'b-agents.yaml': [
        agent('  description: no input\n'),
        agent(INPUT).replace('kind: KasprAgent', 'kind: Agentt').replace('offer-generator', 'second'),
      ].join('---\n'),
      'c-more.yaml': agent(`${INPUT}  concurrency: 0\n`).replace('offer-generator', 'third'),
    })
    const issues = await issuesOf(dir)
    expect(issues.map((i) => `${i.file.slice(dir.length + 1)}:${i.line} ${i.field}`)).toEqual([
      'b-agents.yaml:5 spec',
      'b-agents.yaml:9 kind',
      'c-more.yaml:9 spec.concurrency',
    ])
  })

  it('the error message lists each issue as file:line:col', async () => {
    const dir = manifestDir({ 'app.yaml': APP, 'agent.yaml': agent('  description: no input\n') })
    await expect(loadManifests(dir)).rejects.toThrow(
      /invalid manifests \(1 error\):\n.*agent\.yaml:5:1: KasprAgent "offer-generator" spec: missing required field "input"/,
    )
  })
})
