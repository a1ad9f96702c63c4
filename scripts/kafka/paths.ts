// Where the Kafka tooling keeps its files. Everything lives under the git-ignored `.cache/kafka/` of the repository.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))

/** Repository root (scripts/kafka/ is two levels below it). */
export const repoRoot = resolve(here, '..', '..')
/** The Maven project listing the broker's jars. */
export const pomPath = join(here, 'pom.xml')
/** log4j2 configuration that sends broker logs to `${kafka.logs.dir}/server.log`. */
export const log4jConfigPath = join(here, 'log4j2.xml')

/** Root of the Kafka cache; `FAUSTUS_KAFKA_CACHE` overrides it (absolute or relative to the repository). */
export function cacheDir(): string {
  const env = process.env.FAUSTUS_KAFKA_CACHE
  return env ? resolve(repoRoot, env) : join(repoRoot, '.cache', 'kafka')
}

/** Folder of broker jars, used as the classpath `<libs>/*`. */
export function libsDir(): string {
  return join(cacheDir(), 'libs')
}

/** Parent of every state dir that the tooling creates by itself. */
export function runRoot(): string {
  return join(cacheDir(), 'run')
}

/** State dir used by the CLI when `--dir` is not given. */
export function defaultStateDir(): string {
  return join(runRoot(), 'default')
}

/** The `java` executable: `$JAVA_HOME/bin/java` when set, else `java` from PATH. */
export function javaBin(): string {
  const home = process.env.JAVA_HOME
  return home ? join(home, 'bin', 'java') : 'java'
}
