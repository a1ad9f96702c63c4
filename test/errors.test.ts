import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CODES } from '../src/errors.ts'

describe('docs/errors.md', () => {
  it('lists exactly the codes of ERROR_CODES', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8')
    const documented = [...doc.matchAll(/^\| `(FST_[A-Z_]+)` \|/gm)].map((m) => m[1]).sort()
    expect(documented).toEqual(Object.keys(ERROR_CODES).sort())
  })
})
