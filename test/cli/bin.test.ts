import { execFile } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { ROOT } from './run-cli.ts'

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
      resolve({ code, stdout, stderr })
    })
  })
}

describe('bin/faustus.js', () => {
  it('runs the seed example through npx', { timeout: 70_000 }, async () => {
    const result = await run('npx', ['faustus', '-A', 'examples/agent.ts', 'send_value', '4', '8', '--print'])
    expect(result.stdout).toBe('Sending Add(4, 8)...\n12\n')
    expect(result.code).toBe(0)
  })
})
