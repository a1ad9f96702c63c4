/**
 * Where a table key lives, as Faust's router decides it (`faust/app/router.py`): the key encoded by the table's
 * key codec (as its changelog carries it), murmur2 over the changelog's partition count, and the member whose
 * changelog actives hold that partition according to the group protocol's `changelog_distribution`. A request
 * for a key owned elsewhere is proxied to that member's web url with the same path and query, so Faust and Faustus
 * workers in one group answer each other's lookups.
 */
import type { App } from '../app/app.ts'
import { appServices } from '../app/app.ts'
import { FaustusError } from '../errors.ts'
import type { Collection } from '../tables/collection.ts'
import { partitionForKey } from '../transport/murmur2.ts'

export type KeyOwner =
  | { local: true; partition: number }
  | { local: false; partition: number; url: string }
  /** No member holds the partition now (rebalancing): Faust answers 503. */
  | { local: false; partition: number; url: undefined }

export function tableByName(app: App, name: string): Collection | undefined {
  return app.tables.get(name)
}

export function keyOwner(app: App, table: Collection, key: unknown): KeyOwner {
  const partition = partitionForKey(table.keyBytes(key), table.partitions)
  // A global table is whole on every worker.
  if (table.global || table.activePartitions.has(partition)) return { local: true, partition }
  const distribution = appServices(app).groupMetadata?.changelog_distribution ?? {}
  for (const [url, topics] of Object.entries(distribution)) {
    if (topics[table.changelogTopic]?.includes(partition)) {
      if (url === app.webUrl || url === '') break
      return { local: false, partition, url }
    }
  }
  return { local: false, partition, url: undefined }
}

/** The target of a proxied request: the owner's scheme, host and port, this request's path and query. */
export function routedUrl(ownerUrl: string, pathAndQuery: string): string {
  const base = new URL(ownerUrl)
  return new URL(pathAndQuery, `${base.protocol}//${base.host}`).toString()
}

export interface ProxiedResponse {
  status: number
  contentType: string
  body: string
}

/** Forwards a GET-like request to the owning worker; FST_WEB_ROUTE when it cannot be reached. */
export async function proxy(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string },
  timeoutMs: number,
): Promise<ProxiedResponse> {
  try {
    const response = await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) })
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? 'application/json',
      body: await response.text(),
    }
  } catch (error) {
    throw new FaustusError('FST_WEB_ROUTE', `the worker owning the key at ${url} did not answer: ${String(error)}`, {
      cause: error,
      canRetry: true,
      details: { url },
    })
  }
}
