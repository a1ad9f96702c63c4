import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { cli, fixture, ROOT } from './run-cli.ts'

const A = ['-A', 'examples/agent.ts']

describe('faustus -A examples/agent.ts', () => {
  it('runs the seed command: send_value 4 8 --print', async () => {
    const run = await cli([...A, 'send_value', '4', '8', '--print'])
    expect(run).toMatchObject({ code: 0, stdout: 'Sending Add(4, 8)...\n12\n' })
  })

  it('honours --no-print', async () => {
    const run = await cli([...A, 'send_value', '4', '8', '--no-print'])
    expect(run).toMatchObject({ code: 0, stdout: '12\n' })
  })

  it('takes global options after the subcommand and a Faust-style dotted module name', async () => {
    const run = await cli(['send_value', '1', '2', '-A', 'examples.agent', '-l', 'silent'])
    expect(run).toMatchObject({ code: 0, stdout: '3\n' })
  })

  it('rejects a non-integer argument with exit 2, naming the argument and the value', async () => {
    const run = await cli([...A, 'send_value', '4', 'x'])
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain("argument 'b'")
    expect(run.stderr).toContain("'x'")
  })

  it('exits 2 on an unknown command, an unknown option, a missing argument', async () => {
    for (const args of [['nope'], ['send_value', '1', '2', '--frob'], ['send_value', '1'], ['agents', 'extra']]) {
      const run = await cli([...A, ...args])
      expect(run.code, args.join(' ')).toBe(2)
      expect(run.stderr, args.join(' ')).toMatch(/error/)
    }
  })

  it('lists agents as a table and as JSON', async () => {
    const table = await cli([...A, 'agents'])
    expect(table.code).toBe(0)
    expect(table.stdout).toMatch(/^name\s+topic\s+concurrency\s+sinks\s+help\n/)
    expect(table.stdout).toMatch(/@adding\s+adding\s+1\s+0/)
    const json = await cli([...A, 'agents', '--json'])
    expect(JSON.parse(json.stdout)).toEqual([{ name: 'adding', topic: 'adding', concurrency: 1, sinks: 0, help: '' }])
  })

  it('lists models and shows one model', async () => {
    const models = await cli([...A, 'models'])
    expect(models.code).toBe(0)
    expect(models.stdout).toMatch(/examples\.agent\.Add\s+a: int, b: int/)
    const json = JSON.parse((await cli([...A, 'models', '--json'])).stdout) as { namespace: string }[]
    expect(json.map((m) => m.namespace)).toContain('examples.agent.Add')

    const model = await cli([...A, 'model', 'examples.agent.Add'])
    expect(model.code).toBe(0)
    expect(model.stdout).toMatch(/^examples\.agent\.Add\n/)
    expect(model.stdout).toMatch(/\na\s+int\s+yes\n/)
    expect(model.stdout).toMatch(/\nb\s+int\s+yes\n/)
    const short = JSON.parse((await cli([...A, 'model', 'Add', '--json'])).stdout)
    expect(short).toEqual({
      namespace: 'examples.agent.Add',
      fields: [
        { name: 'a', type: 'int', optional: false },
        { name: 'b', type: 'int', optional: false },
      ],
    })
  })

  it('fails on an unknown model with its error code', async () => {
    const run = await cli([...A, 'model', 'examples.agent.Nope'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('[FST_NAMESPACE_UNKNOWN]')
  })

  it('says there are no tables', async () => {
    expect((await cli([...A, 'tables'])).stdout).toBe('No tables defined.\n')
    expect(JSON.parse((await cli([...A, 'tables', '--json'])).stdout)).toEqual([])
  })

  it('sends a record to a topic and prints where it went', async () => {
    const value = '{"a":1,"b":2,"__faust":{"ns":"examples.agent.Add"}}'
    const run = await cli([...A, 'send', 'adding', value])
    expect(run.code).toBe(0)
    const metadata = JSON.parse(run.stdout)
    expect(metadata).toEqual({ topic: 'adding', partition: expect.any(Number), offset: expect.any(Number) })
  })

  it('sends to an agent by @name, with a key and a partition', async () => {
    const run = await cli([...A, 'send', '@adding', '{"a":1,"b":2}', '--key', 'k', '--partition', '2'])
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ topic: 'adding', partition: 2 })
  })

  it('rejects a value that is not an Add for the adding topic', async () => {
    const run = await cli([...A, 'send', 'adding', '{"a":"one"}'])
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/^error \[FST_/)
  })

  it('prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8'))
    expect(await cli(['--version'])).toMatchObject({ code: 0, stdout: `${version}\n` })
  })

  it('prints help with the app commands', async () => {
    const run = await cli([...A, '--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/send_value \[options\] <a> <b>\s+Ask the adding agent/)
    const sub = await cli([...A, 'send_value', '--help'])
    expect(sub.stdout).toContain('First number to add')
    expect(sub.stdout).toContain('--no-print')
  })

  it('writes a bash completion script naming the app commands', async () => {
    const run = await cli([...A, 'completion'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain('complete -o default -F _faustus_completion faustus')
    expect(run.stdout).toMatch(/words="worker run send agents tables models model reset completion status send_value/)
  })
})

describe('finding the app', () => {
  it('fails with FST_CLI_APP_NOT_FOUND when the module has no app', async () => {
    const run = await cli(['-A', fixture('no-app.ts'), 'agents'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('[FST_CLI_APP_NOT_FOUND]')
    expect(run.stderr).toContain('exports no Faustus app')
  })

  it('fails with FST_CLI_APP_NOT_FOUND when the module does not exist', async () => {
    const run = await cli(['-A', 'test/cli/fixtures/missing.ts', 'agents'])
    expect(run).toMatchObject({ code: 1 })
    expect(run.stderr).toContain('[FST_CLI_APP_NOT_FOUND]')
  })

  it('asks to choose between several apps, and takes path:name', async () => {
    const several = await cli(['-A', fixture('two-apps.ts'), 'agents'])
    expect(several.code).toBe(1)
    expect(several.stderr).toContain('several apps (first, second)')
    const chosen = await cli(['-A', `${fixture('two-apps.ts')}:second`, 'agents', '--json'])
    expect(chosen).toMatchObject({ code: 0, stdout: '[]\n' })
  })

  it('needs -A for app commands', async () => {
    const run = await cli(['agents'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('[FST_CLI_APP_NOT_FOUND]')
    const unknown = await cli(['send_value', '1', '2'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('pass -A')
  })

  it('rejects a bad log level as usage', async () => {
    const run = await cli([...A, '-l', 'loud', 'agents'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("invalid log level 'loud'")
  })
})
