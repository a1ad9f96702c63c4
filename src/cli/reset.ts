/**
 * `faustus -A app reset --yes` (Faust's `faust reset`, with Kafka Streams' reset tool's reach): makes the app start
 * over. Deletes its local table state (the LMDB directories of its stores), the committed offsets of its consumer
 * group (a restarted worker reads its topics from the beginning), and the topics only it writes: the changelogs of
 * its tables and its repartition topics, which would otherwise restore the old state and replay old records on top
 * of the reprocessed ones. Its workers must be stopped: a running group or a locked store is refused, nothing done.
 */
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { App } from '../app/app.ts'
import { createTransport } from '../app/transports.ts'
import { CliUsageError } from '../errors.ts'
import { lockDirectory } from '../stores/lock.ts'

export interface ResetPlan {
  groupId: string
  /** Local state directories (lmdb stores) that exist. */
  directories: string[]
  /** Changelog topics of the app's tables. */
  changelogs: string[]
}

export interface ResetResult extends ResetPlan {
  /** Topics the group had committed offsets for. */
  offsetTopics: string[]
  /** Internal topics deleted (changelogs, repartition topics). */
  deletedTopics: string[]
}

/** The LMDB directory a store URL gives this app (memory stores keep nothing on disk). */
function storeDirectory(url: string, appId: string): string | undefined {
  const match = /^lmdb:\/\/(.+)$/.exec(url)
  return match ? join(match[1], appId) : undefined
}

export function resetPlan(app: App): ResetPlan {
  const tables = [...app.tables.values()]
  const urls = new Set([app.settings.store, ...tables.map((table) => table.storeUrl ?? app.settings.store)])
  const directories = [...urls]
    .map((url) => storeDirectory(url, app.id))
    .filter((dir): dir is string => dir !== undefined && existsSync(dir))
  return { groupId: app.groupId, directories, changelogs: tables.map((table) => table.changelogTopic).sort() }
}

function describePlan(app: App, plan: ResetPlan): string {
  const parts = [`reset the committed offsets of consumer group "${plan.groupId}"`]
  if (plan.changelogs.length > 0) parts.push(`delete the changelog topics ${plan.changelogs.join(', ')}`)
  parts.push(`delete app "${app.id}"'s repartition topics`)
  if (plan.directories.length > 0) parts.push(`delete the local table state in ${plan.directories.join(', ')}`)
  return parts.join('; ')
}

/** Runs the reset; without `yes`, refuses with what it would delete. */
export async function resetApp(app: App, options: { yes?: boolean } = {}): Promise<ResetResult> {
  const plan = resetPlan(app)
  if (!options.yes) {
    throw new CliUsageError(`reset would ${describePlan(app, plan)}. Stop the workers, then confirm with --yes`, {
      details: { ...plan },
    })
  }
  // Locks first: a worker still running on this machine stops the reset before anything is deleted.
  const locks = plan.directories.map((dir) => lockDirectory(dir))
  try {
    const transport = await createTransport(app.settings, app.log)
    await transport.connect()
    try {
      const offsetTopics = await transport.resetGroup(plan.groupId)
      const repartition = offsetTopics.filter((t) => t.startsWith(`${app.id}-`) && t.endsWith('-repartition'))
      const deletedTopics = [...new Set([...plan.changelogs, ...repartition])].sort()
      if (deletedTopics.length > 0) await transport.deleteTopics(deletedTopics)
      for (const dir of plan.directories) rmSync(dir, { recursive: true, force: true })
      return { ...plan, offsetTopics, deletedTopics }
    } finally {
      await transport.close()
    }
  } finally {
    for (const lock of locks) lock.release()
  }
}
