import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadManifests, type ManifestError } from '../../src/declarative/index.ts'
import { manifestDir } from './helpers.ts'

const app = (name: string) => `apiVersion: faustus.io/v1alpha1\nkind: App\nmetadata:\n  name: ${name}\n`
const agent = (name: string, metadata = '') =>
  `apiVersion: faustus.io/v1alpha1\nkind: Agent\nmetadata:\n  name: ${name}\n${metadata}spec:\n  input:\n    topic:\n      name: t\n`

async function issues(dir: string, options = {}) {
  return loadManifests(dir, options).then(
    () => [],
    (error: ManifestError) => error.issues.map((i) => `${i.line} ${i.field}: ${i.message}`),
  )
}

describe('loading manifests', () => {
  it('reads files and directories (recursively, .yaml and .yml), every document of each', async () => {
    const dir = manifestDir({
      'app.yml': app('shop'),
      'agents/two.yaml': `${agent('a')}---\n${agent('b')}\n---\n`,
      'agents/nested/three.yaml': agent('c'),
      'notes.txt': 'not a manifest',
    })
    const set = await loadManifests(dir)
    expect(set.resources.map((r) => `${r.kind}:${r.name}:${r.app}`)).toEqual([
      'Agent:c:shop',
      'Agent:a:shop',
      'Agent:b:shop',
      'App:shop:shop',
    ])
    expect(set.files).toHaveLength(3)
    const one = await loadManifests(join(dir, 'agents/two.yaml'), { app: 'shop' })
    expect(one.resources.map((r) => r.name)).toEqual(['a', 'b'])
  })

  it('takes the app from metadata.labels or directly from metadata (seed 002), faustus.io or kaspr.io', async () => {
    const dir = manifestDir({
      'apps.yaml': `${app('one')}---\n${app('two')}`,
      'agents.yaml': [
        agent('a', '  labels:\n    kaspr.io/app: one\n'),
        agent('b', '  kaspr.io/app: two\n'),
        agent('c', '  labels:\n    faustus.io/app: two\n'),
        agent('d', '  faustus.io/app: one\n'),
      ].join('---\n'),
    })
    const set = await loadManifests(dir)
    const apps = Object.fromEntries(set.resources.filter((r) => r.kind === 'Agent').map((r) => [r.name, r.app]))
    expect(apps).toEqual({ a: 'one', b: 'two', c: 'two', d: 'one' })
  })

  it('an unlabeled resource joins the only app; with several apps it must say which', async () => {
    const single = await loadManifests(manifestDir({ 'm.yaml': `${app('only')}---\n${agent('a')}` }))
    expect(single.resources.find((r) => r.name === 'a')!.app).toBe('only')
    const loose = await loadManifests(manifestDir({ 'm.yaml': agent('a') }))
    expect(loose.resources[0].app).toBeUndefined()
    const named = await loadManifests(manifestDir({ 'm.yaml': agent('a') }), { app: 'svc' })
    expect(named.resources[0].app).toBe('svc')
    expect(await issues(manifestDir({ 'm.yaml': `${app('x')}---\n${app('y')}---\n${agent('a')}` }))).toEqual([
      '14 metadata.name: no app label and several apps are declared (x, y): add metadata.labels["kaspr.io/app"]',
    ])
  })

  it('labels must agree and name a known app', async () => {
    const dir = manifestDir({
      'm.yaml': `${app('shop')}---\n${agent('a', '  kaspr.io/app: shop\n  labels:\n    faustus.io/app: shops\n')}`,
    })
    expect(await issues(dir)).toEqual(['10 metadata.kaspr.io/app: app labels disagree (shops vs shop): keep one'])
    expect(await issues(manifestDir({ 'm.yaml': agent('a', '  kaspr.io/app: other\n') }), { app: 'svc' })).toEqual([
      '5 metadata.kaspr.io/app: unknown app "other": known apps are svc',
    ])
  })

  it('names are unique per kind and app', async () => {
    const dir = manifestDir({ 'a.yaml': `${app('shop')}---\n${agent('a')}`, 'b.yaml': agent('a') })
    const found = await issues(dir)
    expect(found).toHaveLength(1)
    expect(found[0]).toMatch(/^4 metadata.name: a Agent named "a" is already declared at .*a\.yaml:6$/)
  })

  it('missing paths and empty directories are errors', async () => {
    expect(await issues('/no/such/manifests')).toEqual(['1 undefined: no such file or directory'])
    expect(await issues(manifestDir({ 'x.txt': '' }))).toEqual(['1 undefined: no .yaml or .yml file here'])
  })
})
