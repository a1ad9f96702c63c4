/** `faustus worker`: one worker in this process, or `--processes N` of them supervised from here. */
import { existsSync } from 'node:fs'
import type { App } from '../app/app.ts'
import { withManifests } from '../declarative/cli.ts'
import { CliUsageError, FaustusError } from '../errors.ts'
import type { CliIO } from './io.ts'
import { runWorker } from './run.ts'
import { processCount, reportStarted, superviseWorkers, workerIndex } from './supervisor.ts'

export interface WorkerCommandOptions {
  manifests?: string[]
  processes?: string
}

function parseProcesses(raw: string | undefined): number | 'auto' | undefined {
  if (raw === undefined) return undefined
  if (raw === 'auto') return 'auto'
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new CliUsageError(`--processes: expected a number of processes from 1 to 256 or "auto" (got "${raw}")`)
  }
  return n
}

export async function runWorkerCommand(
  app: App,
  options: WorkerCommandOptions,
  io: CliIO,
  argv: readonly string[],
): Promise<void> {
  const index = workerIndex()
  const processes =
    index === undefined ? processCount(parseProcesses(options.processes) ?? app.settings.workerProcesses) : 1
  if (processes > 1) {
    if (app.settings.broker.startsWith('memory://')) {
      throw new CliUsageError(
        `${processes} worker processes need a Kafka broker: with ${app.settings.broker} each process would have a broker of its own`,
      )
    }
    const script = argv[1]
    if (script === undefined || !existsSync(script)) {
      throw new CliUsageError('--processes runs the faustus command again for each process: start it as `faustus`')
    }
    const code = await superviseWorkers({
      processes,
      command: process.execPath,
      args: [...process.execArgv, script, ...argv.slice(2)],
      env: process.env,
      webPort: app.settings.webEnabled ? app.settings.webPort : undefined,
      log: app.log,
      signals: io.signals,
    })
    if (code !== 0) {
      throw new FaustusError(
        'FST_WORKER_PROCESSES',
        'the worker processes crash-looped, failed to start or did not stop cleanly (see the log above)',
      )
    }
    return
  }
  const manifests = options.manifests ?? process.env.FAUSTUS_MANIFESTS?.split(',')
  if (manifests !== undefined) await withManifests(app, manifests)
  await runWorker(app, io, index === undefined ? undefined : reportStarted)
}
