// Start a real Kafka 4 cluster (KRaft, every node broker + controller) on loopback ports chosen by the OS.
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, openSync } from 'node:fs'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Admin } from '@platformatic/kafka'
import { bootstrapOf, logsDir, type NodeSpec, newClusterId, propertiesPath, serverProperties } from './config.ts'
import { downloadKafka } from './download.ts'
import { own } from './owner.ts'
import { javaBin, libsDir, log4jConfigPath, runRoot } from './paths.ts'
import { canConnect, freePorts, isAlive, isOurProcess, readText, signal, sleep, waitForExit } from './proc.ts'
import { type ClientSecurity, prepareSecurity, type SecurityMode, type SecuritySetup } from './security.ts'
import { type ClusterState, kafkaStatus, livePids, readState, reapOrphans, stopKafka, writeState } from './state.ts'

export interface StartOptions {
  /** Number of nodes, each broker and controller (default 1). Internal topics get min(3, brokers) replicas. */
  brokers?: number
  /** State dir (default: a new folder under `.cache/kafka/run/`). Must not exist, be empty, or be a stopped one. */
  dir?: string
  /** Deadline for the cluster to answer metadata with every broker (default 90 s). */
  timeoutMs?: number
  /** Java heap of each node (default `512m`). */
  heap?: string
  /**
   * Leave the brokers running after this process ends (the CLI `start`). By default the brokers belong to this
   * process and are killed when it exits or receives SIGINT/SIGTERM/SIGHUP.
   */
  detached?: boolean
  /** Progress messages (default: none). */
  log?: (message: string) => void
  /** Client listener security (default `plaintext`). See scripts/kafka/security.ts. */
  security?: SecurityMode
}

export interface KafkaCluster {
  /** `127.0.0.1:PORT[,127.0.0.1:PORT...]` */
  bootstrap: string
  brokers: number
  dir: string
  /** Node ids with their client ports (node.id = broker id in metadata). */
  nodes: { id: number; port: number }[]
  /** Client settings of a secured cluster (`security` other than plaintext). */
  security?: ClientSecurity
  /** The loopback PLAINTEXT listeners of a secured cluster (inter-broker; for "TLS to a plaintext port" tests). */
  plaintextBootstrap: string
  stop(): Promise<void>
  /** Stops one broker process: SIGTERM (clean shutdown, waited for) or SIGKILL. Its data stays. */
  stopBroker(id: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>
  /** Starts a stopped broker again on the same ports and data; resolves when the cluster answers with every broker. */
  startBroker(id: number): Promise<void>
}

/** The broker failed to bind a port we picked (someone took it in between): worth another try with new ports. */
class PortClashError extends Error {}

function jvmArgs(node: NodeSpec, heap: string): string[] {
  return [
    `-Xmx${heap}`,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jConfigPath}`,
    `-Dkafka.logs.dir=${logsDir(node)}`,
    '-cp',
    join(libsDir(), '*'),
  ]
}

function formatStorage(node: NodeSpec, clusterId: string, extraArgs: string[] = []): Promise<void> {
  const args = [
    ...jvmArgs(node, '256m'),
    'kafka.tools.StorageTool',
    'format',
    // One argument: a random id may start with '-', which the tool would take for an option.
    `--cluster-id=${clusterId}`,
    '-c',
    propertiesPath(node),
    ...extraArgs,
  ]
  return new Promise((resolve, reject) => {
    execFile(javaBin(), args, { cwd: node.dir }, (error, stdout, stderr) => {
      if (error)
        reject(new Error(`kafka StorageTool format failed for node ${node.id}: ${error.message}\n${stdout}${stderr}`))
      else resolve()
    })
  })
}

/** Launch one node's JVM with stdout/stderr to `<node>/stdout.log`; returns its pid. */
async function spawnNode(node: NodeSpec, heap: string, detached: boolean): Promise<number> {
  const out = openSync(join(node.dir, 'stdout.log'), 'a')
  try {
    const child = spawn(javaBin(), [...jvmArgs(node, heap), 'kafka.Kafka', propertiesPath(node)], {
      cwd: node.dir,
      detached,
      stdio: ['ignore', out, out],
    })
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', reject)
      child.once('spawn', () => resolve(child.pid!))
    })
    child.unref()
    await writeFile(join(node.dir, 'pid'), `${pid}\n`)
    return pid
  } finally {
    closeSync(out)
  }
}

async function startupError(state: ClusterState, reason: string): Promise<Error> {
  const parts = [`Kafka did not start (${reason}) in ${join(state.nodes[0].dir, '..')}`]
  let clash = false
  for (const node of state.nodes) {
    const logPath = join(logsDir(node), 'server.log')
    const lines = (await readText(logPath)).trimEnd().split('\n')
    const out = (await readText(join(node.dir, 'stdout.log'))).trimEnd().split('\n').slice(-15).join('\n')
    if (/BindException|Address already in use/.test(`${lines.join('\n')}\n${out}`)) clash = true
    const errors = lines.filter((line) => / (ERROR|FATAL) /.test(line)).slice(0, 8)
    if (errors.length > 0) parts.push(`--- node ${node.id}: first errors in ${logPath} ---\n${errors.join('\n')}`)
    parts.push(`--- node ${node.id}: tail of ${logPath} ---\n${lines.slice(-25).join('\n') || '(empty)'}`)
    if (out) parts.push(`--- node ${node.id}: stdout/stderr ---\n${out}`)
  }
  const message = parts.join('\n')
  return clash ? new PortClashError(message) : new Error(message)
}

/** Wait until every listener accepts TCP and a metadata request lists every broker. */
async function waitReady(state: ClusterState, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  const check = async (): Promise<void> => {
    const dead = state.nodes.filter((node) => node.pid === null || !isAlive(node.pid))
    if (dead.length > 0) throw await startupError(state, `node ${dead.map((n) => n.id).join(',')} exited`)
    if (Date.now() > deadline) throw await startupError(state, `not ready after ${timeoutMs / 1000} s`)
    await sleep(200)
  }
  for (;;) {
    const open = await Promise.all(state.nodes.map((node) => canConnect(node.port)))
    if (open.every(Boolean)) break
    await check()
  }
  // One short-lived client per attempt: a broker that accepts TCP but never answers must not stall the loop.
  for (;;) {
    const admin = new Admin({
      clientId: 'faustus-kafka-ready',
      bootstrapBrokers: state.nodes.map((node) => `127.0.0.1:${node.port}`),
      retries: 0,
      timeout: 3_000,
    })
    try {
      const metadata = await withTimeout(admin.metadata({ topics: [], forceUpdate: true }), 3_000)
      if (metadata?.brokers.size === state.nodes.length) return
    } catch {
      // not ready yet
    } finally {
      void withTimeout(admin.close(), 1_000).catch(() => {})
    }
    await check()
  }
}

/** `promise`, or undefined if it has not settled after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

async function prepareDir(dir: string): Promise<void> {
  const state = await readState(dir)
  if (state) {
    if (livePids(state).length > 0) {
      const { running, bootstrap } = await kafkaStatus(dir)
      throw new Error(`Kafka is already ${running ? `running at ${bootstrap}` : 'starting'} in ${dir}; stop it first`)
    }
    await stopKafka(dir) // left over from a crash: clean it
  } else if (existsSync(dir) && (await readdir(dir)).length > 0) {
    throw new Error(`${dir} is not empty and is not a Kafka state dir; refusing to use it`)
  }
}

async function launch(
  dir: string,
  brokers: number,
  options: StartOptions,
  security: SecuritySetup | undefined,
): Promise<ClusterState> {
  const log = options.log ?? (() => {})
  const detached = options.detached ?? false
  const perNode = security ? 3 : 2
  const ports = await freePorts(perNode * brokers)
  const nodes: NodeSpec[] = []
  for (let id = 1; id <= brokers; id++) {
    const [port, controllerPort, securePort] = ports.slice(perNode * (id - 1), perNode * id)
    nodes.push({ id, port, controllerPort, dir: join(dir, `node-${id}`), ...(security ? { securePort } : {}) })
  }
  const state: ClusterState = {
    version: 1,
    clusterId: newClusterId(),
    brokers,
    bootstrap: bootstrapOf(nodes),
    owner: detached ? null : process.pid,
    createdAt: new Date().toISOString(),
    nodes: nodes.map((node) => ({ ...node, pid: null })),
  }
  await mkdir(dir, { recursive: true })
  await writeState(dir, state)
  for (const node of nodes) {
    await mkdir(logsDir(node), { recursive: true })
    const extra =
      security && node.securePort ? security.properties(node.securePort, node.port, node.controllerPort) : {}
    await writeFile(propertiesPath(node), serverProperties(node, nodes, extra))
  }
  log(`formatting ${brokers} node(s) (cluster id ${state.clusterId}) ...`)
  await Promise.all(nodes.map((node) => formatStorage(node, state.clusterId, security?.formatArgs)))
  log(`starting ${brokers} broker(s) at ${state.bootstrap} ...`)
  for (const node of state.nodes) {
    node.pid = await spawnNode(node, options.heap ?? '512m', detached)
    await writeState(dir, state)
  }
  if (!detached) own(dir, livePids(state))
  await waitReady(state, options.timeoutMs ?? 90_000)
  await writeFile(join(dir, 'bootstrap'), `${state.bootstrap}\n`)
  return state
}

/**
 * Start a Kafka cluster and wait until it answers metadata with every broker. Downloads the jars first if needed.
 * Unless `detached`, the brokers are stopped when this process exits; call `stop()` to stop them earlier.
 */
export async function startKafka(options: StartOptions = {}): Promise<KafkaCluster> {
  const brokers = options.brokers ?? 1
  if (!Number.isInteger(brokers) || brokers < 1 || brokers > 9) throw new Error(`brokers must be 1..9, not ${brokers}`)
  const dir = resolve(options.dir ?? join(runRoot(), `run-${process.pid}-${randomBytes(3).toString('hex')}`))
  const log = options.log ?? (() => {})
  const started = Date.now()
  await reapOrphans(log)
  await prepareDir(dir)
  await downloadKafka({ log })
  const mode = options.security ?? 'plaintext'
  let state: ClusterState | undefined
  let security: SecuritySetup | undefined
  for (let attempt = 1; !state; attempt++) {
    try {
      if (mode !== 'plaintext') {
        await mkdir(dir, { recursive: true })
        security = await prepareSecurity(dir, mode)
      }
      state = await launch(dir, brokers, options, security)
    } catch (error) {
      await stopKafka(dir, { timeoutMs: 5_000 })
      if (!(error instanceof PortClashError) || attempt >= 3) throw error
      log('a chosen port was taken meanwhile; retrying with new ports')
    }
  }
  log(`Kafka ready at ${state.bootstrap} in ${((Date.now() - started) / 1000).toFixed(1)} s (state dir ${dir})`)
  return {
    bootstrap: state.bootstrap,
    brokers,
    dir,
    nodes: state.nodes.map((node) => ({ id: node.id, port: node.port })),
    ...(security ? { security: security.client } : {}),
    plaintextBootstrap: state.nodes.map((node) => `127.0.0.1:${node.port}`).join(','),
    stop: async () => {
      await stopKafka(dir)
    },
    stopBroker: (id, sig) => stopBroker(dir, id, sig),
    startBroker: (id) => startBroker(dir, id, { heap: options.heap, timeoutMs: options.timeoutMs }),
  }
}

async function nodeOf(dir: string, id: number): Promise<{ state: ClusterState; node: ClusterState['nodes'][number] }> {
  const state = await readState(dir)
  const node = state?.nodes.find((n) => n.id === id)
  if (!state || !node) throw new Error(`no Kafka node ${id} in ${dir}`)
  return { state, node }
}

/** Stops one broker of the cluster in `dir` (SIGTERM waits for its clean shutdown; SIGKILL for the process to go). */
export async function stopBroker(dir: string, id: number, sig: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  const { state, node } = await nodeOf(dir, id)
  const pid = node.pid
  if (pid === null || !isOurProcess(pid, propertiesPath(node))) return
  signal(pid, sig)
  if (!(await waitForExit([pid], sig === 'SIGTERM' ? 60_000 : 10_000))) {
    signal(pid, 'SIGKILL')
    await waitForExit([pid], 10_000)
  }
  node.pid = null
  await writeState(dir, state)
}

/** Starts a stopped broker of the cluster in `dir` again, and waits until the cluster lists every broker. */
export async function startBroker(
  dir: string,
  id: number,
  options: { heap?: string; timeoutMs?: number } = {},
): Promise<void> {
  const { state, node } = await nodeOf(dir, id)
  if (node.pid !== null && isOurProcess(node.pid, propertiesPath(node))) return
  node.pid = await spawnNode(node, options.heap ?? '512m', state.owner === null)
  await writeState(dir, state)
  if (state.owner !== null) own(dir, livePids(state))
  await waitReady(state, options.timeoutMs ?? 90_000)
}
