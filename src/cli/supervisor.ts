/**
 * `faustus worker --processes N`: N worker processes of the app in one consumer group (Faust runs one worker per
 * core, Kafka Streams `num.stream.threads`), started, stopped and restarted together by this supervisor.
 *
 * - Each child is this same command line run again with `FAUSTUS_WORKER_INDEX=i`; it serves its web surface on
 *   `webPort + i` (port 0 stays 0), so each process's health and metrics can be scraped.
 * - SIGINT/SIGTERM/SIGHUP are forwarded once to every child (children run in process groups of their own, so a
 *   terminal's Ctrl-C reaches them once, through here); a second signal is forwarded again (children exit at once).
 * - A child that dies unexpectedly is restarted with backoff (1 s doubling to 30 s); more than `maxRestarts` crashes
 *   of one child within `restartWindowMs` is a crash loop: everything stops and the supervisor exits 1. A child that
 *   fails before it ever started (configuration, code) stops everything at once, as a single worker would exit.
 * - If the supervisor itself is killed outright, the children notice within a second and stop (bin/faustus.js).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { availableParallelism } from 'node:os'
import type { Logger } from '../logging.ts'
import type { SignalSource } from './io.ts'
import { STOP_SIGNALS } from './run.ts'

export const WORKER_INDEX_ENV = 'FAUSTUS_WORKER_INDEX'

/** The index of this process when a supervisor started it, else undefined. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[WORKER_INDEX_ENV]
  return raw === undefined || raw === '' ? undefined : Number(raw)
}

/** `auto` is the number of cores. */
export function processCount(value: number | 'auto'): number {
  return value === 'auto' ? availableParallelism() : value
}

export interface SupervisorOptions {
  processes: number
  /** The executable and arguments that run one worker (this command line again). */
  command: string
  args: readonly string[]
  env: NodeJS.ProcessEnv
  /** The first child's web port when the web server is enabled; child i gets port + i (0 stays 0). */
  webPort: number | undefined
  log: Logger
  signals: SignalSource
  maxRestarts?: number
  restartWindowMs?: number
  maxBackoffMs?: number
}

interface Slot {
  index: number
  child: ChildProcess | undefined
  started: boolean
  everStarted: boolean
  crashes: number[]
  timer: NodeJS.Timeout | undefined
}

/** Runs the children until a stop signal (exit code 0 when every child stopped cleanly) or a crash loop (1). */
export function superviseWorkers(options: SupervisorOptions): Promise<number> {
  const maxRestarts = options.maxRestarts ?? 5
  const windowMs = options.restartWindowMs ?? 60_000
  const maxBackoffMs = options.maxBackoffMs ?? 30_000
  const { log } = options
  const slots: Slot[] = Array.from({ length: options.processes }, (_, index) => ({
    index,
    child: undefined,
    started: false,
    everStarted: false,
    crashes: [],
    timer: undefined,
  }))
  let stopping = false
  let failed = false
  let signalsSeen = 0

  return new Promise<number>((resolve) => {
    const live = () => slots.filter((slot) => slot.child !== undefined)
    const finishIfDone = () => {
      if (!stopping || live().length > 0) return
      for (const signal of STOP_SIGNALS) options.signals.off(signal, onSignal)
      log.info({ processes: options.processes, failed }, 'all worker processes stopped')
      resolve(failed ? 1 : 0)
    }
    const stopAll = (signal: NodeJS.Signals) => {
      stopping = true
      for (const slot of slots) {
        clearTimeout(slot.timer)
        slot.timer = undefined
        slot.child?.kill(signal)
      }
      finishIfDone()
    }
    const onSignal = (signal: NodeJS.Signals) => {
      signalsSeen++
      log.info({ signal, processes: live().length }, 'stopping the worker processes')
      if (signalsSeen > 1) failed = true
      stopAll(signal)
    }

    const spawnChild = (slot: Slot) => {
      const env: NodeJS.ProcessEnv = {
        ...options.env,
        [WORKER_INDEX_ENV]: String(slot.index),
        FAUSTUS_NO_REEXEC: '1',
        // bin/faustus.js stops a child whose supervisor is gone.
        FAUSTUS_WRAPPER_PID: String(process.pid),
      }
      if (options.webPort !== undefined) {
        env.FAUSTUS_WEB_PORT = String(options.webPort === 0 ? 0 : options.webPort + slot.index)
        const overrides = new Set((env.FAUSTUS_CLI_OVERRIDES ?? '').split(',').filter(Boolean))
        overrides.add('webPort')
        env.FAUSTUS_CLI_OVERRIDES = [...overrides].join(',')
      }
      // A process group of its own: a terminal's Ctrl-C reaches the child once, forwarded from here.
      const child = spawn(options.command, [...options.args], {
        env,
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        detached: true,
      })
      slot.child = child
      slot.started = false
      child.on('message', (message) => {
        if ((message as { faustus?: unknown } | null)?.faustus !== 'started') return
        slot.started = true
        slot.everStarted = true
        log.info({ worker: slot.index, pid: child.pid }, 'worker process started')
      })
      child.on('error', (error) => {
        log.error({ worker: slot.index, err: error }, 'cannot start a worker process')
        // Not spawned at all: no exit event follows.
        if (child.pid === undefined) onExit(slot, child, 1, null)
      })
      child.on('exit', (code, signal) => onExit(slot, child, code, signal))
    }

    const onExit = (slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null) => {
      if (slot.child !== child) return
      slot.child = undefined
      const details = { worker: slot.index, pid: child.pid, code, signal }
      if (stopping) {
        if (code !== 0) failed = true
        log.info(details, 'worker process stopped')
        finishIfDone()
        return
      }
      if (!slot.everStarted && code !== null && code !== 0) {
        // Failing before it ever started is configuration or code: restarting would fail the same way.
        log.error(details, 'a worker process failed while starting: stopping all')
        failed = true
        stopAll('SIGTERM')
        return
      }
      const now = Date.now()
      slot.crashes = [...slot.crashes.filter((at) => now - at < windowMs), now]
      if (slot.crashes.length > maxRestarts) {
        log.error(
          { ...details, crashes: slot.crashes.length, windowMs },
          'a worker process keeps crashing: stopping all',
        )
        failed = true
        stopAll('SIGTERM')
        return
      }
      const delayMs = Math.min(1000 * 2 ** (slot.crashes.length - 1), maxBackoffMs)
      log.warn({ ...details, restartInMs: delayMs, crashes: slot.crashes.length }, 'worker process died: restarting')
      slot.timer = setTimeout(() => {
        slot.timer = undefined
        if (!stopping) spawnChild(slot)
      }, delayMs)
    }

    for (const signal of STOP_SIGNALS) options.signals.on(signal, onSignal)
    log.info({ processes: options.processes }, 'starting worker processes')
    for (const slot of slots) spawnChild(slot)
  })
}

/** In a child: tells the supervisor the worker started; the channel must not keep the process alive. */
export function reportStarted(): void {
  if (typeof process.send !== 'function') return
  process.send({ faustus: 'started' })
  process.channel?.unref()
}
