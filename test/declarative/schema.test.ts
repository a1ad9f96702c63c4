import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { parseAllDocuments } from 'yaml'
import { SCHEMA_FILE } from '../../schemas/generate.ts'
import { loadManifests, manifestJsonSchema } from '../../src/declarative/index.ts'

describe('the published JSON Schema (schemas/faustus-manifests.schema.json)', () => {
  it('is up to date with the TypeBox definitions (regenerate: npx tsx schemas/generate.ts)', () => {
    expect(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'))).toEqual(manifestJsonSchema())
  })

  it('is a draft-07 schema that accepts the example manifests and rejects unknown kinds and fields', async () => {
    const validate = new Ajv({ strict: false, allErrors: true }).compile(manifestJsonSchema())
    // Each example application is its own directory (one app each; seed 002's has an unlabeled agent).
    const dirs = readdirSync('examples/manifests').map((name) => join('examples/manifests', name))
    const files = (await Promise.all(dirs.map((dir) => loadManifests(dir)))).flatMap((set) => set.files)
    expect(files.length).toBeGreaterThan(15)
    for (const file of files) {
      for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
        expect(validate(doc.toJS()), `${file}: ${JSON.stringify(validate.errors)}`).toBe(true)
      }
    }
    const agent = { apiVersion: 'kaspr.io/v1alpha1', kind: 'KasprAgent', metadata: { name: 'a' } }
    expect(validate({ ...agent, spec: { input: { topic: { name: 't' } } } })).toBe(true)
    expect(validate({ ...agent, kind: 'KasprAgant', spec: { input: { topic: { name: 't' } } } })).toBe(false)
    expect(validate({ ...agent, spec: { input: { topic: { name: 't' } }, procesors: {} } })).toBe(false)
    // What the loader reports with its own messages is in the schema too, for editors.
    expect(validate({ ...agent, spec: {} })).toBe(false)
    expect(validate({ ...agent, spec: { input: { topic: { name: 't', pattern: 'x' } } } })).toBe(false)
  })

  it('is shipped in the package', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8'))
    expect(pkg.files).toContain('schemas')
  })
})
