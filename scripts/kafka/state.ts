// The state dir of a cluster: `cluster.json` (the marker that makes a folder ours), `bootstrap`, and `node-<id>/`.
import { existsSync } from 'node:fs'
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type NodeSpec, propertiesPath } from './config.ts'
import { disown } from './owner.ts'
import { runRoot } from './paths.ts'
import { isAlive, isOurProcess, signal, waitForExit } from './proc.ts'

export interface NodeState extends NodeSpec {
  pid: number | null
}

export interface ClusterState {
  version: 1
  clusterId: string
  brokers: number
  bootstrap: string
  /** pid of the process that owns the brokers (started them from code), or null when detached (CLI `start`). */
  owner: number | null
  createdAt: string
  nodes: NodeState[]
}

export interface KafkaStatus {
  running: boolean
  dir: string
  bootstrap?: string
  brokers?: number
  pids?: number[]
}

const STATE_FILE = 'cluster.json'

export async function readState(dir: string): Promise<ClusterState | undefined> {
  try {
    const state = JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as ClusterState
    return state.version === 1 && Array.isArray(state.nodes) ? state : undefined
  } catch {
    return undefined
  }
}

export async function writeState(dir: string, state: ClusterState): Promise<void> {
  const tmp = join(dir, `${STATE_FILE}.tmp-${process.pid}`)
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`)
  await rename(tmp, join(dir, STATE_FILE))
}

/** pids of the nodes whose java process is still running. */
export function livePids(state: ClusterState): number[] {
  const pids: number[] = []
  for (const node of state.nodes) {
    if (node.pid !== null && isOurProcess(node.pid, propertiesPath(node))) pids.push(node.pid)
  }
  return pids
}

/** Running = every node's process is alive and the cluster answered metadata (its `bootstrap` file exists). */
export async function kafkaStatus(dir: string): Promise<KafkaStatus> {
  const state = await readState(dir)
  if (!state) return { running: false, dir }
  const pids = livePids(state)
  const ready = existsSync(join(dir, 'bootstrap'))
  const running = ready && pids.length === state.nodes.length
  return { running, dir, bootstrap: state.bootstrap, brokers: state.brokers, pids }
}

export interface StopOptions {
  /** Time allowed for a clean shutdown after SIGTERM, before SIGKILL (default 15 s). */
  timeoutMs?: number
}

/**
 * Stop the brokers of the state dir `dir` (SIGTERM, then SIGKILL after the deadline) and remove the dir.
 * A folder without `cluster.json` is never touched. Returns true if some broker process was running.
 */
export async function stopKafka(dir: string, options: StopOptions = {}): Promise<boolean> {
  const state = await readState(dir)
  if (!state) return false
  const pids = livePids(state)
  for (const pid of pids) signal(pid, 'SIGTERM')
  if (!(await waitForExit(pids, options.timeoutMs ?? 15_000))) {
    for (const pid of pids) if (isAlive(pid)) signal(pid, 'SIGKILL')
    await waitForExit(pids, 5_000)
  }
  await rm(dir, { recursive: true, force: true })
  disown(dir)
  return pids.length > 0
}

/**
 * Stop clusters under `.cache/kafka/run/` whose owning process has died without stopping them (for example a test
 * run killed by SIGKILL). Detached clusters (owner null, from the CLI) are left alone.
 */
export async function reapOrphans(log: (message: string) => void = () => {}): Promise<void> {
  let entries: string[]
  try {
    entries = await readdir(runRoot())
  } catch {
    return
  }
  for (const entry of entries) {
    const dir = join(runRoot(), entry)
    const state = await readState(dir)
    if (!state || state.owner === null || isAlive(state.owner)) continue
    log(`stopping orphaned Kafka in ${dir} (owner ${state.owner} is gone)`)
    await stopKafka(dir, { timeoutMs: 5_000 })
  }
}
