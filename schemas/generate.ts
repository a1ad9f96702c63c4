/**
 * Writes faustus-manifests.schema.json from the TypeBox definitions in src/declarative/schema.ts, formatted as the
 * project's formatter wants it:
 *   npx tsx schemas/generate.ts
 * test/declarative/schema.test.ts fails when the file is out of date.
 */
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { manifestJsonSchema } from '../src/declarative/schema.ts'

export const SCHEMA_FILE = new URL('./faustus-manifests.schema.json', import.meta.url)

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const path = fileURLToPath(SCHEMA_FILE)
  writeFileSync(path, `${JSON.stringify(manifestJsonSchema(), null, 2)}\n`)
  execFileSync('npx', ['biome', 'format', '--write', path], { stdio: 'pipe' })
  console.log(`wrote ${path}`)
}
