/**
 * Topic patterns. The consumer subscribes to explicit topic names, so a pattern input is resolved to the names
 * existing when the manifests are applied (before the app starts). A topic created later is not picked up until
 * the worker restarts. The pattern must match a whole name (as Kafka's Java client), and names starting with "__"
 * (Kafka's internal topics) are left out.
 */
import type { App } from '../app/app.ts'
import { createTransport } from '../app/transports.ts'
import type { Transport } from '../transport/types.ts'

/** A transport that can list every topic (optional in the Transport interface for now). */
interface ListingTransport extends Transport {
  listTopics(): Promise<string[]>
}

function canList(transport: Transport): transport is ListingTransport {
  return typeof (transport as Partial<ListingTransport>).listTopics === 'function'
}

export interface PatternMatch {
  names: string[]
  /** `transport`: matched against the broker's topics; `declared`: the transport cannot list topics, so only the
   * topics the app declares were considered. */
  source: 'transport' | 'declared'
}

/** The full-name regular expression of a manifest pattern. */
export function patternRegExp(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`)
}

export function matchTopics(pattern: string, names: Iterable<string>): string[] {
  const regexp = patternRegExp(pattern)
  return [...new Set(names)].filter((name) => !name.startsWith('__') && regexp.test(name)).sort()
}

/**
 * The topics each pattern matches now: the broker's (through a transport of its own, closed after), or, when the
 * transport cannot list topics, the app's declared ones.
 */
export async function resolvePatterns(app: App, patterns: readonly string[]): Promise<Map<string, PatternMatch>> {
  const out = new Map<string, PatternMatch>()
  if (patterns.length === 0) return out
  const transport = await createTransport(app.settings, app.log)
  try {
    await transport.connect()
    const listed = canList(transport) ? await transport.listTopics() : undefined
    for (const pattern of patterns) {
      out.set(
        pattern,
        listed === undefined
          ? { names: matchTopics(pattern, app.topics.keys()), source: 'declared' }
          : { names: matchTopics(pattern, listed), source: 'transport' },
      )
    }
  } finally {
    await transport.close()
  }
  return out
}
