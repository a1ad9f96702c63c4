import { describe, expect, it } from 'vitest'
import { convertParam, flagName } from '../../src/cli/app-commands.ts'
import { cli, fixture } from './run-cli.ts'

const A = ['-A', fixture('params-app.ts')]
const show = async (...args: string[]) => {
  const run = await cli([...A, 'show', ...args])
  return { ...run, params: run.code === 0 ? JSON.parse(run.stdout) : undefined }
}

describe('app commands as subcommands', () => {
  it('converts arguments by type and applies defaults', async () => {
    const run = await show('7', '2.5')
    expect(run.params).toEqual({
      count: 7,
      ratio: 2.5,
      label: 'none',
      verbose: false,
      color: true,
      retries: 3,
      dryRun: false,
    })
  })

  it('takes options: flags, short flags, negation, typed values, kebab-case names', async () => {
    const run = await show('-3', '1e3', 'hello', '-v', '--no-color', '--retries', '5', '--dry-run', '--name', 'x y')
    expect(run.params).toEqual({
      count: -3,
      ratio: 1000,
      label: 'hello',
      verbose: true,
      color: false,
      retries: 5,
      dryRun: true,
      name: 'x y',
    })
  })

  it('reports a bad value with exit 2, naming the parameter', async () => {
    for (const [args, name, value] of [
      [['1.5', '2'], 'count', '1.5'],
      [['1', 'abc'], 'ratio', 'abc'],
      [['1', '2', '--retries', 'many'], '--retries', 'many'],
    ] as const) {
      const run = await show(...args)
      expect(run.code).toBe(2)
      expect(run.stderr).toContain(name)
      expect(run.stderr).toContain(`'${value}'`)
    }
  })

  it('exits 1 with the message when the command throws', async () => {
    const run = await cli([...A, 'fail'])
    expect(run.code).toBe(1)
    expect(run.stderr).toBe('error: the command failed\n')
  })
})

describe('conversions', () => {
  it('parses ints, floats and booleans strictly', () => {
    expect(convertParam('int', '42')).toBe(42)
    expect(convertParam('int', '-1')).toBe(-1)
    expect(() => convertParam('int', '4.2')).toThrow(/integer/)
    expect(() => convertParam('int', '')).toThrow(/integer/)
    expect(convertParam('float', '0.5')).toBe(0.5)
    expect(() => convertParam('float', 'NaN')).toThrow(/number/)
    expect(convertParam('boolean', 'yes')).toBe(true)
    expect(convertParam('boolean', '0')).toBe(false)
    expect(() => convertParam('boolean', 'maybe')).toThrow(/true or false/)
    expect(convertParam('string', ' a ')).toBe(' a ')
  })

  it('spells option names as click does', () => {
    expect(flagName('dryRun')).toBe('dry-run')
    expect(flagName('dry_run')).toBe('dry-run')
    expect(flagName('print')).toBe('print')
  })
})
