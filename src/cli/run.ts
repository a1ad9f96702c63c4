/** Running the app around a command: worker (until a signal or crash), send, and app-defined commands. */
import type { App } from '../app/app.ts'
import { decodeJsonValue } from '../app/codecs.ts'
import type { Command } from '../app/commands.ts'
import { CliUsageError } from '../errors.ts'
import { type CliIO, withConsole } from './io.ts'

/** Rejects when the app crashes while `work` runs; otherwise settles as `work` does. */
function untilCrash<T>(app: App, work: Promise<T>): Promise<T> {
  const crashed = app.done.then(() => new Promise<never>(() => {}))
  return Promise.race([work, crashed])
}

/**
 * An app-defined command. On the memory transport the agents live only in this process, so the whole app runs for
 * the command's duration (asks get answers); on Kafka running workers answer, so a client is enough.
 */
export async function runAppCommand(
  app: App,
  command: Command<any>,
  params: Record<string, unknown>,
  io: CliIO,
  capture: boolean,
): Promise<void> {
  const inProcess = app.settings.broker.startsWith('memory://')
  await app.start(inProcess ? {} : { client: true })
  try {
    await withConsole(io, capture, () =>
      untilCrash(
        app,
        Promise.resolve().then(() => command.run(params as never)),
      ),
    )
  } finally {
    await app.stop()
  }
}

/** The signals that stop a worker gracefully (a second one exits at once), as a terminal or supervisor sends them. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 }

/** Runs the app until SIGINT/SIGTERM/SIGHUP (graceful stop; a second signal exits at once) or a crash (rethrown). */
export async function runWorker(app: App, io: CliIO, onStarted?: () => void): Promise<void> {
  let stopFailed!: (error: unknown) => void
  const stopFailure = new Promise<never>((_, reject) => {
    stopFailed = reject
  })
  let signals = 0
  let starting: Promise<void> | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      io.stderr(`faustus: ${signal} again, exiting without a graceful stop\n`)
      io.exit(SIGNAL_EXIT[signal] ?? 1)
      return
    }
    app.log.info({ signal }, 'stopping the worker (send the signal again to exit at once)')
    // A signal while starting stops the worker once it has started (stopping half-started services loses nothing).
    void (starting ?? Promise.resolve()).then(() => app.stop()).catch(stopFailed)
  }
  // Listening before start: a signal that arrives while the app starts must not kill the process outright.
  for (const signal of STOP_SIGNALS) io.signals.on(signal, onSignal)
  // The memory transport holds no socket or timer: without this the process would exit while the worker runs.
  const keepAlive = setInterval(() => {}, 1 << 30)
  try {
    starting = app.start()
    await Promise.race([starting, stopFailure])
    onStarted?.()
    await Promise.race([app.done, stopFailure])
  } finally {
    clearInterval(keepAlive)
    for (const signal of STOP_SIGNALS) io.signals.off(signal, onSignal)
  }
}

/** A command-line value: JSON when it parses (records rebuilt by their `__faust.ns`), else the string itself. */
export function parseValue(raw: string | undefined): unknown {
  if (raw === undefined) return null
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return raw
  }
  return decodeJsonValue(parsed)
}

interface SendTarget {
  name: string
  channel: unknown
  send(message: { value: unknown; key?: unknown; partition?: number }): Promise<unknown>
}

/** `@name` is an agent; otherwise a declared topic, then an agent, then any topic name (as `faust send`). */
function resolveTarget(app: App, entity: string): SendTarget {
  const agentName = entity.startsWith('@') ? entity.slice(1) : undefined
  if (agentName === undefined) {
    const topic = app.topics.get(entity)
    if (topic !== undefined) return { name: topic.name, channel: topic, send: (m) => topic.send(m) }
  }
  const agent = app.agents.get(agentName ?? entity)
  if (agent !== undefined) return { name: agent.channel.name, channel: agent.channel, send: (m) => agent.send(m) }
  if (agentName !== undefined)
    throw new CliUsageError(`no agent named "${agentName}" (known: ${[...app.agents.keys()].join(', ')})`)
  const topic = app.topic(entity)
  return { name: topic.name, channel: topic, send: (m) => topic.send(m) }
}

/** Keys stay strings for raw-keyed topics (Faust's default); other key codecs get a parsed value. */
function keyFor(channel: unknown, raw: string | undefined): unknown {
  if (raw === undefined) return undefined
  const codec = (channel as { keySerde?: { codec?: { name?: string } } }).keySerde?.codec?.name
  return codec === undefined || codec === 'raw' ? raw : parseValue(raw)
}

export async function runSend(
  app: App,
  entity: string,
  rawValue: string | undefined,
  options: { key?: string; partition?: number },
  io: CliIO,
): Promise<void> {
  const target = resolveTarget(app, entity)
  const message = {
    value: parseValue(rawValue),
    key: keyFor(target.channel, options.key),
    partition: options.partition,
  }
  await app.start({ client: true })
  try {
    const metadata = (await target.send(message)) as { topic?: string; partition?: number; offset?: number } | undefined
    const { topic = target.name, partition, offset } = metadata ?? {}
    io.stdout(`${JSON.stringify({ topic, partition, offset })}\n`)
  } finally {
    await app.stop()
  }
}
