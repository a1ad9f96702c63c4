import { describe, expect, it } from 'vitest'
import { cli, fixture } from './run-cli.ts'

describe('faustus run', () => {
  it('--check validates manifests without starting anything: 0 when valid', async () => {
    const result = await cli(['run', 'examples/manifests/loyalty', '--check'])
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('KasprAgent welcome-email-sender')
  })

  it('--check exits 1 naming the file and line of an invalid manifest', async () => {
    const result = await cli(['run', fixture('manifests/after-terminal.yaml'), '--check'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/after-terminal\.yaml:\d+/)
  })

  it('--check refuses what run refuses: the same checks, the same error, nothing started', async () => {
    const dir = fixture('manifests/bad-setting')
    const check = await cli(['run', dir, '--check'])
    const run = await cli(['run', dir])
    expect(check.code).toBe(1)
    expect(run.code).toBe(1)
    expect(check.stderr).toContain('error [FST_SETTING_UNAVAILABLE]: setting dataDir')
    expect(check.stderr).toBe(run.stderr)
  })

  it('an unknown option of run is a usage error', async () => {
    const result = await cli(['run', 'examples/manifests/loyalty', '--bogus'])
    expect(result.code).toBe(2)
  })
})

describe('runManifests(paths, { check: true }) from code', () => {
  it('refuses what a run refuses, as the CLI does', async () => {
    const { runManifests } = await import('../../src/declarative/cli.ts')
    const { isFaustusError } = await import('../../src/index.ts')
    await expect(
      runManifests(fixture('manifests/bad-setting'), { check: true, stdout: () => {}, stderr: () => {} }),
    ).rejects.toSatisfy((error) => isFaustusError(error, 'FST_SETTING_UNAVAILABLE'))
  })
})
