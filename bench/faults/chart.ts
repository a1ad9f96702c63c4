// A small hand-written SVG: time to resume per scenario (each try a dot, the median a bar), lost and duplicated
// records beside each row.
import type { ScenarioRow } from './scenarios.ts'

export function renderChart(rows: ScenarioRow[]): string {
  const rowHeight = 28
  const left = 330
  const width = 900
  const plot = width - left - 170
  const height = 60 + rows.length * rowHeight
  const maxMs = Math.max(5_000, ...rows.flatMap((r) => r.resumeMs))
  const x = (ms: number) => left + (ms / maxMs) * plot
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;')
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">Faustus fault suite: time to resume (ms), lost / duplicated records</text>`,
  ]
  for (let t = 0; t <= maxMs; t += maxMs > 20_000 ? 10_000 : 1_000) {
    parts.push(`<line x1="${x(t)}" y1="35" x2="${x(t)}" y2="${height - 10}" stroke="#eee"/>`)
    parts.push(`<text x="${x(t)}" y="${height - 0}" text-anchor="middle" fill="#888">${t}</text>`)
  }
  rows.forEach((row, i) => {
    const y = 50 + i * rowHeight
    parts.push(`<text x="10" y="${y + 4}">${esc(`${row.scenario} (${row.guarantee})`)}</text>`)
    const sorted = [...row.resumeMs].sort((a, b) => a - b)
    if (sorted.length > 0) {
      const median = sorted[Math.floor(sorted.length / 2)]
      parts.push(`<rect x="${left}" y="${y - 6}" width="${x(median) - left}" height="12" fill="#9cc3e6"/>`)
      for (const ms of sorted) parts.push(`<circle cx="${x(ms)}" cy="${y}" r="3" fill="#1f5f99"/>`)
    }
    const color = row.lost > 0 || row.workerExits.length > 0 ? '#c00' : '#070'
    parts.push(
      `<text x="${width - 160}" y="${y + 4}" fill="${color}">lost ${row.lost}, dup ${row.duplicated}${row.workerExits.length ? `, exits ${row.workerExits.length}` : ''}</text>`,
    )
  })
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
