// Collects the Kafka broker jars of scripts/kafka/pom.xml with Maven into `.cache/kafka/libs`, once (maven.ts).
import { readFile } from 'node:fs/promises'
import { collectJars, isCollected } from './maven.ts'
import { libsDir, pomPath } from './paths.ts'

export interface DownloadOptions {
  /** Progress messages (default: none). */
  log?: (message: string) => void
  /** Give up waiting for another process's download after this long (default 15 minutes). */
  timeoutMs?: number
}

/** True when `.cache/kafka/libs` holds the jars of the current pom.xml. */
export function isDownloaded(): Promise<boolean> {
  return isCollected(pomPath, libsDir())
}

/**
 * Make sure the broker jars of scripts/kafka/pom.xml are in `.cache/kafka/libs`; download them with Maven if not.
 * Safe to call from several processes at once. Returns the libs folder.
 */
export async function downloadKafka(options: DownloadOptions = {}): Promise<string> {
  return collectJars({ pom: pomPath, target: libsDir(), label: 'Kafka jars', ...options })
}

/** The broker's Kafka version, as scripts/kafka/pom.xml pins it (`<kafka.version>`). */
export async function kafkaVersion(): Promise<string> {
  const pom = await readFile(pomPath, 'utf8')
  const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1]
  if (!version) throw new Error(`no <kafka.version> in ${pomPath}`)
  return version.trim()
}
