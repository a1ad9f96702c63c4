import { createServer } from 'node:net'
import parsePrometheusTextFormat from 'parse-prometheus-text-format'

export interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/**
 * Parses Prometheus text with a real parser (it throws on malformed text) and flattens it into samples. That parser
 * folds a labelled histogram's series together and drops their _count and _sum, so those two are read from their
 * lines here.
 */
export function parseMetrics(text: string): Sample[] {
  const families = parsePrometheusTextFormat(text) as {
    name: string
    type: string
    metrics: { labels?: Record<string, string>; value?: string; count?: string; sum?: string }[]
  }[]
  const samples: Sample[] = []
  for (const family of families) {
    for (const metric of family.metrics) {
      const labels = metric.labels ?? {}
      if (metric.value !== undefined) samples.push({ name: family.name, labels, value: Number(metric.value) })
      if (metric.count !== undefined)
        samples.push({ name: `${family.name}_count`, labels, value: Number(metric.count) })
      if (metric.sum !== undefined) samples.push({ name: `${family.name}_sum`, labels, value: Number(metric.sum) })
    }
  }
  for (const family of families.filter((f) => f.type === 'HISTOGRAM')) {
    for (const suffix of ['_count', '_sum']) {
      const name = family.name + suffix
      if (samples.some((s) => s.name === name)) continue
      for (const line of text.split('\n')) {
        const match = new RegExp(`^${name}\\{(.*)\\} (\\S+)$`).exec(line)
        if (match === null) continue
        const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
        samples.push({ name, labels, value: Number(match[2]) })
      }
    }
  }
  return samples
}

/** Sum of a metric's samples whose labels include `labels`. */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
}

/** A TCP port free right now. */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())))
  return port
}
