// Collects the jars of a Maven project (a pom.xml listing dependencies, not a build) into a folder, once.
//
// The jars are copied into a private temporary folder and moved into place with one rename, after a stamp file
// (the hash of the pom and of the properties given) is written inside it: a folder with a matching stamp is always
// complete. A lock file keeps two processes from running Maven at the same time; it is an optimisation only, since
// the rename alone is safe. Used for the broker jars (download.ts) and the Java programs' jars (scripts/jvm).
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { isAlive, sleep } from './proc.ts'

const STAMP = '.faustus-stamp'

export interface CollectOptions {
  /** The pom.xml listing the dependencies. */
  pom: string
  /** The folder that receives the jars (its parent is created; the lock file lives there too). */
  target: string
  /** `-Dname=value` properties for Maven (part of the stamp). */
  properties?: Record<string, string>
  /** What is being collected, for messages (e.g. "Kafka jars"). */
  label: string
  /** Progress messages (default: none). */
  log?: (message: string) => void
  /** Give up waiting for another process's download after this long (default 15 minutes). */
  timeoutMs?: number
}

/** Hash of the pom and the properties: the folder is valid only for what produced it. */
async function wantedStamp(pom: string, properties: Record<string, string>): Promise<string> {
  const hash = createHash('sha256').update(await readFile(pom))
  // No properties: the same stamp as before properties existed, so existing broker caches stay valid.
  const entries = Object.entries(properties).sort(([a], [b]) => a.localeCompare(b))
  if (entries.length > 0) hash.update(JSON.stringify(entries))
  return hash.digest('hex')
}

async function currentStamp(target: string): Promise<string | undefined> {
  try {
    return (await readFile(join(target, STAMP), 'utf8')).trim()
  } catch {
    return undefined
  }
}

/** True when `target` holds the jars of `pom` with `properties`. */
export async function isCollected(pom: string, target: string, properties: Record<string, string> = {}) {
  return (await currentStamp(target)) === (await wantedStamp(pom, properties))
}

function runMaven(pom: string, outputDir: string, properties: Record<string, string>): Promise<void> {
  const args = [
    '-q',
    '-B',
    '-f',
    pom,
    ...Object.entries(properties).map(([name, value]) => `-D${name}=${value}`),
    'dependency:copy-dependencies',
    '-DincludeScope=runtime',
    `-DoutputDirectory=${outputDir}`,
  ]
  return new Promise((resolve, reject) => {
    execFile('mvn', args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (!error) return resolve()
      const output = `${stdout}\n${stderr}`.trim().split('\n').slice(-30).join('\n')
      reject(new Error(`mvn ${args.join(' ')} failed: ${error.message}\n${output}`))
    })
  })
}

/** Take the download lock, breaking it if its holder died. Returns false if it is held by a live process. */
async function tryLock(lockPath: string): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx')
    await handle.writeFile(String(process.pid))
    await handle.close()
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10)
  // An empty file is a lock being written right now: treat it as held.
  if (Number.isNaN(holder) || isAlive(holder)) return false
  await unlink(lockPath).catch(() => {})
  return tryLock(lockPath)
}

async function install(options: CollectOptions, stamp: string, log: (message: string) => void): Promise<void> {
  const { target } = options
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const tmp = `${target}.tmp-${suffix}`
  const started = Date.now()
  log(`downloading ${options.label} with Maven into ${target} ...`)
  try {
    await runMaven(options.pom, tmp, options.properties ?? {})
    const handle = await open(join(tmp, STAMP), 'w')
    await handle.writeFile(`${stamp}\n`)
    await handle.sync()
    await handle.close()
    // Move an outdated folder aside first: rename() cannot replace a non-empty folder.
    if (await currentStamp(target).then((s) => s !== undefined && s !== stamp)) {
      await rename(target, `${target}.old-${suffix}`).catch(() => {})
    }
    try {
      await rename(tmp, target)
    } catch (error) {
      // Another process won the race: fine if what it installed is current.
      if ((await currentStamp(target)) !== stamp) throw error
    }
  } finally {
    await rm(tmp, { recursive: true, force: true })
    await rm(`${target}.old-${suffix}`, { recursive: true, force: true })
  }
  log(`${options.label} ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

/**
 * Make sure `target` holds the jars of `pom` (with `properties`); download them with Maven if not.
 * Safe to call from several processes at once. Returns the folder.
 */
export async function collectJars(options: CollectOptions): Promise<string> {
  const log = options.log ?? (() => {})
  const { target } = options
  const stamp = await wantedStamp(options.pom, options.properties ?? {})
  if ((await currentStamp(target)) === stamp) return target
  await mkdir(dirname(target), { recursive: true })
  const lockPath = `${target}.lock`
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000)
  let waiting = false
  for (;;) {
    if (await tryLock(lockPath)) {
      try {
        if ((await currentStamp(target)) !== stamp) await install(options, stamp, log)
      } finally {
        await unlink(lockPath).catch(() => {})
      }
      return target
    }
    if (!waiting) log(`another process is downloading the ${options.label}; waiting ...`)
    waiting = true
    if (Date.now() > deadline) throw new Error(`timed out waiting for the download lock ${lockPath}`)
    await sleep(500)
    if ((await currentStamp(target)) === stamp) return target
  }
}
