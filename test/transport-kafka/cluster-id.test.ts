import { describe, expect, it } from 'vitest'
import { newClusterId } from '../../scripts/kafka/config.ts'

describe('scripts/kafka cluster ids', () => {
  it('are 22 URL-safe base64 characters, never starting with "-" (the storage tool would take it for an option)', () => {
    for (let i = 0; i < 2_000; i++) {
      const id = newClusterId()
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/)
    }
  })
})
