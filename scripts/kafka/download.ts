// Collects the Kafka broker jars with Maven into `.cache/kafka/libs`, once.
//
// The jars are copied into a private temporary folder and moved into place with one rename, after a stamp file
// (the hash of pom.xml) is written inside it: a folder with a matching stamp is always complete. A lock file keeps
// two processes from running Maven at the same time; it is an optimisation only, since the rename alone is safe.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, open, readFile, rename, rm, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { cacheDir, libsDir, pomPath } from './paths.ts'
import { isAlive, sleep } from './proc.ts'

const STAMP = '.faustus-stamp'

export interface DownloadOptions {
  /** Progress messages (default: none). */
  log?: (message: string) => void
  /** Give up waiting for another process's download after this long (default 15 minutes). */
  timeoutMs?: number
}

/** Hash of pom.xml: the cache is valid only for the pom that produced it. */
async function wantedStamp(): Promise<string> {
  const pom = await readFile(pomPath)
  return createHash('sha256').update(pom).digest('hex')
}

async function currentStamp(): Promise<string | undefined> {
  try {
    return (await readFile(join(libsDir(), STAMP), 'utf8')).trim()
  } catch {
    return undefined
  }
}

/** True when `.cache/kafka/libs` holds the jars of the current pom.xml. */
export async function isDownloaded(): Promise<boolean> {
  return (await currentStamp()) === (await wantedStamp())
}

function runMaven(outputDir: string): Promise<void> {
  const args = [
    '-q',
    '-B',
    '-f',
    pomPath,
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

async function install(stamp: string, log: (message: string) => void): Promise<void> {
  const target = libsDir()
  const suffix = `${process.pid}-${randomBytes(4).toString('hex')}`
  const tmp = `${target}.tmp-${suffix}`
  const started = Date.now()
  log(`downloading Kafka jars with Maven into ${target} ...`)
  try {
    await runMaven(tmp)
    const handle = await open(join(tmp, STAMP), 'w')
    await handle.writeFile(`${stamp}\n`)
    await handle.sync()
    await handle.close()
    // Move an outdated folder aside first: rename() cannot replace a non-empty folder.
    if (await currentStamp().then((s) => s !== undefined && s !== stamp)) {
      await rename(target, `${target}.old-${suffix}`).catch(() => {})
    }
    try {
      await rename(tmp, target)
    } catch (error) {
      // Another process won the race: fine if what it installed is current.
      if ((await currentStamp()) !== stamp) throw error
    }
  } finally {
    await rm(tmp, { recursive: true, force: true })
    await rm(`${target}.old-${suffix}`, { recursive: true, force: true })
  }
  log(`Kafka jars ready in ${((Date.now() - started) / 1000).toFixed(1)} s`)
}

/**
 * Make sure the broker jars of scripts/kafka/pom.xml are in `.cache/kafka/libs`; download them with Maven if not.
 * Safe to call from several processes at once. Returns the libs folder.
 */
export async function downloadKafka(options: DownloadOptions = {}): Promise<string> {
  const log = options.log ?? (() => {})
  const stamp = await wantedStamp()
  if ((await currentStamp()) === stamp) return libsDir()
  await mkdir(cacheDir(), { recursive: true })
  const lockPath = join(cacheDir(), 'download.lock')
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000)
  let waiting = false
  for (;;) {
    if (await tryLock(lockPath)) {
      try {
        if ((await currentStamp()) !== stamp) await install(stamp, log)
      } finally {
        await unlink(lockPath).catch(() => {})
      }
      return libsDir()
    }
    if (!waiting) log('another process is downloading the Kafka jars; waiting ...')
    waiting = true
    if (Date.now() > deadline) throw new Error(`timed out waiting for the Kafka download lock ${lockPath}`)
    await sleep(500)
    if ((await currentStamp()) === stamp) return libsDir()
  }
}
