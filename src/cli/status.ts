/**
 * `faustus -A app status`: what a running worker's dashboard shows, as text, read from its web server
 * (`/api/group`): readiness, the group's partition assignment, agents, lag, recovery, tables and recent errors.
 */
import type { Command as Program } from 'commander'
import { FaustusError } from '../errors.ts'
import type { GroupSnapshot } from '../web/group.ts'
import type { WorkerSnapshot } from '../web/state.ts'
import type { CliContext } from './builtins.ts'

export function registerStatus(program: Program, ctx: CliContext): void {
  program
    .command('status')
    .description("print a running worker's state (from its web server): readiness, assignment, lag, recovery")
    .option('--url <url>', 'the worker web url (default http://<webHost>:<webPort> of the app settings)')
    .option('--json', 'print JSON instead of text')
    .action(async (options: { url?: string; json?: boolean }) => {
      const url = options.url ?? defaultUrl(ctx)
      const view = await readGroup(url)
      ctx.io.stdout(options.json ? `${JSON.stringify(view, null, 2)}\n` : formatStatus(view))
    })
}

function defaultUrl(ctx: CliContext): string {
  const settings = ctx.app?.settings
  const host = settings?.webHost ?? '127.0.0.1'
  const port = settings?.webPort ?? 6066
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`
}

async function readGroup(url: string): Promise<GroupSnapshot> {
  let response: Response
  try {
    response = await fetch(new URL('/api/group', url), { signal: AbortSignal.timeout(10_000) })
  } catch (error) {
    throw new FaustusError(
      'FST_WEB_UNREACHABLE',
      `no worker web server answered at ${url}: ${(error as Error).message}`,
      {
        cause: error,
        details: { url },
      },
    )
  }
  if (!response.ok) {
    throw new FaustusError('FST_WEB_UNREACHABLE', `the worker at ${url} answered HTTP ${response.status}`, {
      details: { url, status: response.status },
    })
  }
  return (await response.json()) as GroupSnapshot
}

function ranges(partitions: number[]): string {
  const sorted = [...partitions].sort((a, b) => a - b)
  const out: string[] = []
  for (let i = 0; i < sorted.length; i++) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
    out.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]))
    i = j
  }
  return out.join(',')
}

function byTopic(tps: { topic: string; partition: number }[]): string {
  const map = new Map<string, number[]>()
  for (const { topic, partition } of tps) map.set(topic, [...(map.get(topic) ?? []), partition])
  return [...map].map(([topic, ps]) => `${topic}[${ranges(ps)}]`).join(' ') || '-'
}

function worker(state: WorkerSnapshot, self: boolean): string[] {
  const status = state.ready
    ? 'ready'
    : state.recovering
      ? 'recovering'
      : state.rebalancing
        ? 'rebalancing'
        : state.state
  const lines = [
    `worker ${state.url}${self ? ' (asked)' : ''}  pid ${state.pid}  ${status}${state.leader ? '  leader' : ''}`,
  ]
  lines.push(`  actives   ${byTopic(state.actives)}`)
  if (state.standbys.length > 0) lines.push(`  standbys  ${byTopic(state.standbys)}`)
  for (const a of state.agents) {
    lines.push(`  agent ${a.name} (${a.topic}): in ${a.eventsIn}, out ${a.eventsOut}, ${a.rate}/s, errors ${a.errors}`)
  }
  const lagging = state.lag.filter((p) => p.lag > 0)
  const total = state.lag.reduce((sum, p) => sum + p.lag, 0)
  lines.push(
    `  lag total ${total}${lagging.length > 0 ? `: ${lagging.map((p) => `${p.topic}[${p.partition}]=${p.lag}`).join(' ')}` : ''}`,
  )
  for (const r of state.recovery.filter((r) => !r.finished)) {
    lines.push(`  recovering ${r.table}[${r.partition}] ${r.done}/${r.total}`)
  }
  for (const t of state.tables)
    lines.push(`  table ${t.name}: ${t.keys} keys in partitions ${ranges(t.actives) || '-'}`)
  for (const e of state.errors.slice(0, 5)) {
    lines.push(`  error ${new Date(e.time).toISOString()} ${e.code} ${e.agent ?? e.topic ?? ''} ${e.message}`)
  }
  return lines
}

export function formatStatus(view: GroupSnapshot): string {
  const lines = [`app ${view.self.app}: ${1 + view.members.length} worker(s) in the group`, ...worker(view.self, true)]
  for (const member of view.members) {
    if (member.state !== undefined) lines.push(...worker(member.state, false))
    else {
      const changelogs = Object.entries(member.changelogs).map(([t, ps]) => `${t}[${ranges(ps)}]`)
      lines.push(`worker ${member.url}  (no Faustus state: ${member.error ?? 'unknown'})  ${changelogs.join(' ')}`)
    }
  }
  return `${lines.join('\n')}\n`
}
