import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { FaustusError } from '../errors.ts'

/**
 * An exclusive lock on a store directory. LMDB itself lets several processes open one environment (it is built
 * for that), so two workers pointed at the same directory would silently share and corrupt each other's offsets;
 * a `LOCK` file holding the owner's pid turns that into FST_STORE_LOCKED. A lock left by a dead process is taken
 * over. Locks held by this process are tracked too, since a pid check cannot tell two apps of one process apart.
 */
const heldHere = new Set<string>()

export interface DirectoryLock {
  readonly path: string
  release(): void
}

export function lockDirectory(dir: string): DirectoryLock {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, 'LOCK')
  if (heldHere.has(path)) throw locked(dir, process.pid)
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx')
      writeSync(fd, String(process.pid))
      closeSync(fd)
      heldHere.add(path)
      return {
        path,
        release: () => {
          if (!heldHere.delete(path)) return
          rmSync(path, { force: true })
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new FaustusError('FST_STORE', `cannot lock store directory ${dir}: ${(error as Error).message}`, {
          cause: error,
          details: { dir },
        })
      }
      const owner = Number.parseInt(readFileSync(path, 'utf8').trim(), 10)
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) throw locked(dir, owner)
      // Stale: its process is gone (or it was ours from an earlier run that reused the pid).
      rmSync(path, { force: true })
    }
  }
  throw locked(dir, undefined)
}

function locked(dir: string, pid: number | undefined): FaustusError {
  const who = pid === process.pid ? 'another app in this process' : `process ${pid ?? '?'}`
  return new FaustusError(
    'FST_STORE_LOCKED',
    `store directory ${dir} is locked by ${who}: give each worker its own store directory (store: 'lmdb://<dir>')`,
    { details: { dir, pid } },
  )
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
