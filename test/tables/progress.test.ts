import { describe, expect, it, vi } from 'vitest'
import { format, RecoveryProgress } from '../../src/tables/progress.ts'

describe('recovery progress', () => {
  it('draws records, rate and ETA per table on a terminal, and logs them', () => {
    const logged: object[] = []
    const log = { info: (o: object) => void logged.push(o), warn() {}, error() {}, debug() {}, child: () => log }
    const writes: string[] = []
    const write = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk))
      return true
    })
    try {
      const progress = new RecoveryProgress(log, { tty: true, intervalMs: 60_000 })
      progress.expect('counts', 1000)
      progress.advance('counts', 250)
      progress.report()
      const [line] = progress.lines()
      expect(line).toMatchObject({ table: 'counts', done: 250, total: 1000 })
      expect(line.rate).toBeGreaterThan(0)
      expect(writes.join('')).toMatch(/recovering counts: 250\/1,000 \(25%, [\d,]+\/s, ETA \d+s\)/)
      expect(logged[0]).toMatchObject({ table: 'counts', done: 250, total: 1000 })
      progress.finish()
      expect(logged.at(-1)).toMatchObject({ table: 'counts', records: 250 })
    } finally {
      write.mockRestore()
    }
  })

  it('formats an unknown ETA', () => {
    expect(format({ table: 't', done: 0, total: 10, rate: 0, etaSeconds: Number.POSITIVE_INFINITY })).toBe(
      'recovering t: 0/10 (0%, 0/s, ETA ?)',
    )
  })
})
