// The anchors benchmark's report: the ratios Faustus / each system, the table and the chart drawn from its rows.
import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { renderChart } from '../../bench/anchors/chart.ts'
import { MemorySampler, processTree, treeCpuSeconds } from '../../bench/anchors/proc.ts'
import { formatTable, type Row, ratios } from '../../bench/anchors/report.ts'
import { waitFor } from '../helpers.ts'

function row(system: string, label: string, eventsPerSecond: number, size = 1000, workload = 'passthrough'): Row {
  return {
    system,
    label,
    workload,
    size,
    records: size,
    done: size,
    seconds: size / eventsPerSecond,
    eventsPerSecond,
    cpuSecondsPerMillion: 5,
    peakRssMb: 200,
    timedOut: false,
  }
}

describe('anchors report', () => {
  const rows = [
    row('raw', 'raw loop', 200_000),
    row('faustus', 'Faustus agent', 150_000),
    row('kstreams', 'Kafka Streams', 300_000),
    row('faustus', 'Faustus table', 100_000, 1000, 'count'),
    row('kstreams', 'Kafka Streams count', 50_000, 1000, 'count'),
    row('kstreams', 'Kafka Streams', 400_000, 2000),
    row('faustus-n', 'Faustus agent, N processes', 240_000),
    row('kstreams-n', 'Kafka Streams, N threads', 480_000),
  ]

  it('gives Faustus / each other system per workload and size, N processes / Kafka Streams, none without a Faustus row', () => {
    expect(ratios(rows)).toEqual([
      { size: 1000, workload: 'passthrough', of: 'Faustus agent', versus: 'raw loop', ratio: 0.75 },
      { size: 1000, workload: 'passthrough', of: 'Faustus agent', versus: 'Kafka Streams', ratio: 0.5 },
      { size: 1000, workload: 'passthrough', of: 'Faustus agent', versus: 'Kafka Streams, N threads', ratio: 0.313 },
      { size: 1000, workload: 'count', of: 'Faustus table', versus: 'Kafka Streams count', ratio: 2 },
      { size: 1000, workload: 'passthrough', of: 'Faustus agent, N processes', versus: 'Kafka Streams', ratio: 0.8 },
      {
        size: 1000,
        workload: 'passthrough',
        of: 'Faustus agent, N processes',
        versus: 'Kafka Streams, N threads',
        ratio: 0.5,
      },
    ])
  })

  it('prints a row per measurement with its ratio, and the failures', () => {
    const table = formatTable(rows, [
      { size: 1000, workload: 'count', system: 'quix', label: 'Quix', error: 'exited (1):\nTraceback' },
    ])
    const lines = table.split('\n')
    expect(lines).toHaveLength(1 + rows.length + 1)
    expect(lines.find((l) => l.includes('Kafka Streams count'))).toMatch(/50,000 .* 2\.00x$/)
    expect(lines.at(-1)).toContain('Quix [FAILED: exited (1):]')
  })

  it('draws a bar per row', () => {
    const svg = renderChart(rows, 'title <&>')
    expect(svg.match(/<rect x="300"/g)).toHaveLength(rows.length)
    expect(svg).toContain('title &lt;&amp;>')
  })
})

describe('anchors /proc readings', () => {
  it('counts the CPU and memory of a child process tree', async () => {
    // A shell with a busy child: the tree is two processes, and the CPU is the child's.
    const child = spawn('sh', ['-c', 'node -e "for (;;);" & wait'], { stdio: 'ignore' })
    const pid = child.pid ?? 0
    const sampler = new MemorySampler(pid, 20)
    let tree: number[] = []
    try {
      tree = await waitFor(
        () => {
          const members = processTree(pid)
          return members.length >= 2 && members
        },
        30_000,
        'the shell and its busy child',
      )
      await waitFor(() => treeCpuSeconds(pid) >= 0.2, 30_000, '0.2 s of CPU in the tree', { intervalMs: 20 })
      expect(sampler.stop()).toBeGreaterThan(1)
    } finally {
      for (const member of (tree.length > 0 ? tree : processTree(pid)).reverse()) process.kill(member, 'SIGKILL')
    }
  })
})
