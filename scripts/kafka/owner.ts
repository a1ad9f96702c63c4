// Brokers started from code belong to the process that started them: when it exits or is stopped by SIGINT/SIGTERM
// without calling stop(), kill them and remove their state dir. The hooks are installed only while such brokers
// exist, so they never change how a process without brokers reacts to signals.
import { rmSync } from 'node:fs'
import { signal } from './proc.ts'

const owned = new Map<string, number[]>()
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']
let installed = false

function cleanupSync(): void {
  for (const [dir, pids] of owned) {
    for (const pid of pids) signal(pid, 'SIGKILL')
    try {
      rmSync(dir, { recursive: true, force: true })
    } catch {
      // best effort while exiting
    }
  }
  owned.clear()
}

function onExit(): void {
  cleanupSync()
}

function onSignal(sig: NodeJS.Signals): void {
  cleanupSync()
  const alone = process.listenerCount(sig) === 1
  uninstall()
  // If nobody else handles the signal, restore its default effect (terminate) by raising it again.
  if (alone) process.kill(process.pid, sig)
}

function install(): void {
  if (installed) return
  installed = true
  process.on('exit', onExit)
  for (const sig of SIGNALS) process.on(sig, onSignal)
}

function uninstall(): void {
  if (!installed) return
  installed = false
  process.removeListener('exit', onExit)
  for (const sig of SIGNALS) process.removeListener(sig, onSignal)
}

/** Kill `pids` and remove `dir` if this process ends before `disown(dir)`. */
export function own(dir: string, pids: number[]): void {
  owned.set(dir, pids)
  install()
}

export function disown(dir: string): void {
  owned.delete(dir)
  if (owned.size === 0) uninstall()
}
