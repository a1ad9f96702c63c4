// A small hand-written SVG, drawn as bench/faults/chart.ts draws its own: one group per workload and size, a bar
// per system (events/s), with CPU s per 1M records and peak RSS written beside each bar.
import type { Row } from './report.ts'

export function renderChart(rows: Row[], title: string): string {
  const groups = [...new Set(rows.map((r) => `${r.workload}|${r.size}`))]
  const barHeight = 16
  const left = 300
  const width = 1000
  const plot = width - left - 290
  let height = 50
  for (const group of groups)
    height += 34 + rows.filter((r) => `${r.workload}|${r.size}` === group).length * (barHeight + 4)
  const max = Math.max(1, ...rows.map((r) => r.eventsPerSecond))
  const x = (value: number) => left + (value / max) * plot
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const color = (system: string) =>
    system.startsWith('faustus') ? '#1f5f99' : system.startsWith('kstreams') ? '#c07a1f' : '#8a8a8a'
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(title)}</text>`,
  ]
  let y = 45
  for (const group of groups) {
    const [workload, size] = group.split('|')
    parts.push(
      `<text x="10" y="${y + 4}" font-weight="bold">${esc(`${workload}, ${Number(size).toLocaleString('en-US')} records`)}</text>`,
    )
    y += 18
    for (const row of rows.filter((r) => `${r.workload}|${r.size}` === group)) {
      parts.push(`<text x="20" y="${y + barHeight - 4}">${esc(row.label)}</text>`)
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(row.eventsPerSecond) - left)}" height="${barHeight}" fill="${color(row.system)}"/>`,
      )
      const text = `${row.eventsPerSecond.toLocaleString('en-US')} ev/s · ${row.cpuSecondsPerMillion.toFixed(1)} CPU s/1M · ${Math.round(row.peakRssMb)} MB`
      parts.push(`<text x="${x(row.eventsPerSecond) + 6}" y="${y + barHeight - 4}" fill="#333">${esc(text)}</text>`)
      y += barHeight + 4
    }
    y += 16
  }
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
