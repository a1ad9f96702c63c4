import { describe, expect, it } from 'vitest'
import { applyEnvironment, scanEarlyOptions } from '../../src/cli/argv.ts'
import { formatError, table } from '../../src/cli/format.ts'
import { FaustusError } from '../../src/errors.ts'

describe('scanEarlyOptions', () => {
  it('finds global options before and after the subcommand, in every spelling', () => {
    expect(scanEarlyOptions(['-A', 'a.ts', 'worker', '-l', 'info', '--broker', 'kafka://h:9092'])).toEqual({
      app: 'a.ts',
      command: 'worker',
      loglevel: 'info',
      broker: 'kafka://h:9092',
    })
    expect(scanEarlyOptions(['--app=a.ts', '-ldebug', 'send', 'x', '--broker=memory://'])).toEqual({
      app: 'a.ts',
      loglevel: 'debug',
      command: 'send',
      broker: 'memory://',
    })
    expect(scanEarlyOptions(['-Aa.ts', 'cmd', '--', '-A', 'b.ts'])).toEqual({ app: 'a.ts', command: 'cmd' })
  })
})

describe('applyEnvironment', () => {
  it('sets variables and restores the previous values', () => {
    process.env.FAUSTUS_TEST_CLI_A = 'before'
    const restore = applyEnvironment({
      FAUSTUS_TEST_CLI_A: 'during',
      FAUSTUS_TEST_CLI_B: 'new',
      FAUSTUS_TEST_CLI_C: undefined,
    })
    expect(process.env.FAUSTUS_TEST_CLI_A).toBe('during')
    expect(process.env.FAUSTUS_TEST_CLI_B).toBe('new')
    restore()
    expect(process.env.FAUSTUS_TEST_CLI_A).toBe('before')
    expect('FAUSTUS_TEST_CLI_B' in process.env).toBe(false)
    delete process.env.FAUSTUS_TEST_CLI_A
  })
})

describe('format', () => {
  it('aligns a table', () => {
    expect(
      table(
        ['a', 'bb'],
        [
          ['xyz', 1],
          [null, 'z'],
        ],
      ),
    ).toBe('a    bb\n---  --\nxyz  1\n     z\n')
  })

  it('names the error code and the causes', () => {
    const error = new FaustusError('FST_TRANSPORT', 'send failed', { cause: new Error('socket closed') })
    expect(formatError(error)).toBe('error [FST_TRANSPORT]: send failed\n  caused by: socket closed\n')
  })
})
