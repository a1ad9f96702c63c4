// The anchors benchmark harness (`npm run bench -- anchors`) at a tiny size, so it keeps working: every system
// builds and starts (the Kafka Streams program through scripts/jvm, Quix Streams and Python Faust in their venvs,
// Faustus and Kafka Streams as two processes / stream threads),
// processes every record of both workloads, and is measured; the JSON report and the chart are written.
// Figures are not asserted (speed belongs to the benchmark), only that each was measured.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { SYSTEMS } from '../../bench/anchors/systems.ts'
import { runAnchors } from '../../bench/anchors.ts'

const RECORDS = 5_000
const dir = mkdtempSync(join(tmpdir(), 'anchors-test-'))

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('anchors benchmark harness', () => {
  it('measures every system on both workloads at 5k records and writes the report and the chart', {
    timeout: 900_000,
  }, async () => {
    process.env.FAUSTUS_TEST_KAFKA = inject('kafkaBootstrap')
    const out = join(dir, 'anchors.json')
    const report = await runAnchors({
      sizes: [RECORDS],
      workloads: ['passthrough', 'count'],
      slowMax: RECORDS,
      timeoutMs: 240_000,
      partitions: 6,
      processes: 2,
      out,
      verbose: false,
      log: () => {},
    })
    expect(report.failures).toEqual([])
    const measured = report.rows.map((row) => `${row.workload}:${row.system}`).sort()
    expect(measured).toEqual(SYSTEMS.map((s) => `${s.workload}:${s.id}`).sort())
    for (const row of report.rows) {
      expect(row, row.label).toMatchObject({ size: RECORDS, records: RECORDS, done: RECORDS, timedOut: false })
      expect(row.eventsPerSecond, row.label).toBeGreaterThan(0)
      expect(row.cpuSecondsPerMillion, row.label).toBeGreaterThan(0)
      expect(row.peakRssMb, row.label).toBeGreaterThan(10)
    }
    const json = JSON.parse(readFileSync(out, 'utf8'))
    expect(json.rows).toHaveLength(report.rows.length)
    expect(json.kafka).toMatch(/^\d+\.\d+\.\d+$/)
    expect(json.ratios.map((r: { versus: string }) => r.versus)).toContain('Kafka Streams, at-least-once')
    expect(json.ratios.map((r: { of: string }) => r.of)).toContain('Faustus table, LMDB store, N processes')
    const svg = readFileSync(join(dir, 'anchors.svg'), 'utf8')
    expect(svg).toMatch(/^<svg /)
    for (const spec of SYSTEMS) {
      expect(svg).toContain(spec.label)
      expect(report.table).toContain(spec.label)
    }
  })
})
