import { describe, expect, it } from 'vitest'
import { runManifests, withManifests } from '../../src/declarative/index.ts'
import type { App } from '../../src/index.ts'
import { testApp } from '../helpers.ts'
import { manifestDir, memoryBroker, quiet } from './helpers.ts'

const APP =
  'apiVersion: kaspr.io/v1alpha1\nkind: KasprApp\nmetadata:\n  name: cli-app\nspec:\n  config:\n    topicPartitions: 2\n'
const AGENT = (labels = '') =>
  `apiVersion: kaspr.io/v1alpha1\nkind: KasprAgent\nmetadata:\n  name: echo\n${labels}spec:\n  inputs:\n    topic:\n      names: [in]\n`

describe('CLI entry points', () => {
  it('--check prints what is valid and returns 0, without starting anything', async () => {
    const out: string[] = []
    const code = await runManifests('examples/manifests/loyalty', {
      check: true,
      stdout: (t) => out.push(t),
      stderr: (t) => out.push(t),
    })
    expect(code).toBe(0)
    expect(out.join('')).toMatch(
      /^5 resources valid in 5 files:\n {2}KasprApp loyalty-app {2}examples\/manifests\/loyalty\/app\.yaml:3\n/,
    )
    expect(out.join('')).toContain('KasprAgent offer-generator (app loyalty-app)')
  })

  it('run builds the app of the App resource (settings, then options) and hands it to the worker', async () => {
    const dir = manifestDir({ 'app.yaml': APP, 'agent.yaml': AGENT() })
    let seen: App | undefined
    const broker = memoryBroker()
    const code = await runManifests(dir, {
      appOptions: { ...quiet, broker },
      worker: async (app) => {
        seen = app
      },
    })
    expect(code).toBe(0)
    expect(seen?.id).toBe('cli-app')
    expect(seen?.settings.broker).toBe(broker)
    expect([...seen!.agents.keys()]).toEqual(['echo'])
  })

  it('run needs an app: the only App resource, or --app', async () => {
    const dir = manifestDir({ 'agent.yaml': AGENT() })
    await expect(runManifests(dir, { worker: async () => {} })).rejects.toThrow(
      /no App resource in .*: name the app to run \(--app NAME\)/,
    )
    let id: string | undefined
    await runManifests(dir, { app: 'named', appOptions: quiet, worker: async (app) => void (id = app.id) })
    expect(id).toBe('named')
    const two = manifestDir({
      'apps.yaml': `${APP}---\n${APP.replace('cli-app', 'other')}`,
      'agent.yaml': AGENT('  kaspr.io/app: other\n'),
    })
    await expect(runManifests(two, { worker: async () => {} })).rejects.toThrow(
      /several apps are declared \(cli-app, other\)/,
    )
  })

  it('worker --manifests: withManifests applies the resources of the module app', async () => {
    const app = testApp('module-app')
    const dir = manifestDir({ 'agent.yaml': AGENT('  kaspr.io/app: module-app\n') })
    const applied = await withManifests(app, dir)
    expect(applied.agents.map((a) => a.name)).toEqual(['echo'])
    expect(app.agents.has('echo')).toBe(true)
    const wrong = manifestDir({ 'agent.yaml': AGENT('  kaspr.io/app: another\n') })
    await expect(withManifests(testApp('module-app'), wrong)).rejects.toThrow(
      /unknown app "another": known apps are module-app/,
    )
  })
})
