// Every example runs as documented: `faustus -A examples/<file> worker`, and stops gracefully on SIGTERM.
import { readdirSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { killStarted, startFaustus } from './process.ts'
import { ROOT } from './run-cli.ts'

const EXAMPLES = readdirSync(`${ROOT}/examples`).filter((file) => file.endsWith('.ts') && file !== 'support.ts')

afterAll(killStarted)

describe('faustus -A examples/<file> worker', () => {
  it('covers every example', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining(['wordcount.ts', 'pageviews.ts', 'agent.ts']))
  })
  for (const file of EXAMPLES) {
    it(`runs ${file}`, { timeout: 120_000 }, async () => {
      const worker = startFaustus(['-A', `examples/${file}`, 'worker', '-l', 'info', '--log-format', 'json'])
      await worker.waitFor('"msg":"app started"')
      process.kill(worker.child.pid!, 'SIGTERM')
      expect(await worker.exited).toBe(0)
      expect(worker.stderr()).not.toContain('FST_CLI_APP_NOT_FOUND')
      expect(worker.stderr()).toContain('"msg":"app stopped"')
    })
  }
})
