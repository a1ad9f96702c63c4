import { EventEmitter } from 'node:events'
import { resolve } from 'node:path'
import { main } from '../../src/cli/main.ts'

export const ROOT = resolve(import.meta.dirname, '../..')
export const fixture = (name: string) => `test/cli/fixtures/${name}`

export interface CliRun {
  code: number
  stdout: string
  stderr: string
}

/** Runs `faustus ...args` in-process with captured output. */
export async function cli(args: string[], signals = new EventEmitter()): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await main(['node', 'faustus', ...args], {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    exit: (exitCode) => {
      throw new Error(`unexpected forced exit ${exitCode}`)
    },
    cwd: ROOT,
    signals: signals as never,
  })
  return { code, stdout, stderr }
}
