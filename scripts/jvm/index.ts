// Small Java programs kept in the repository (benchmarks' Kafka Streams anchors, differential tests), compiled
// against the `kafka-streams` jar of the broker's Kafka version and its dependencies, fetched from Maven Central.
//
//   const program = await buildJava({ sources: 'bench/anchors/java' })
//   spawn(...javaCommand(program, 'PassThrough', ['--bootstrap', ...]))
//
// Jars: .cache/jvm/libs-<kafka version> (scripts/jvm/pom.xml, collected once). Classes: .cache/jvm/classes/<hash>,
// where the hash covers the sources and the jars' version, so an edited program is compiled again and an unchanged
// one is not. See scripts/jvm.ts for the CLI and docs/benchmarks.md.
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { collectJars, kafkaVersion } from '../kafka/index.ts'

const here = dirname(fileURLToPath(import.meta.url))
const repoRoot = resolve(here, '..', '..')
const pomPath = join(here, 'pom.xml')
/** log4j2 configuration of the programs: warnings and errors on stderr. */
export const jvmLog4jConfig = join(here, 'log4j2.xml')

/** Root of the JVM cache; `FAUSTUS_JVM_CACHE` overrides it (absolute or relative to the repository). */
export function jvmCacheDir(): string {
  const env = process.env.FAUSTUS_JVM_CACHE
  return env ? resolve(repoRoot, env) : join(repoRoot, '.cache', 'jvm')
}

function jdkTool(name: 'java' | 'javac'): string {
  const home = process.env.JAVA_HOME
  return home ? join(home, 'bin', name) : name
}

export interface JavaProgram {
  /** The Kafka version the jars belong to (the broker's). */
  kafkaVersion: string
  /** Folder of the jars (kafka-streams, kafka-clients, rocksdbjni, log4j, ...). */
  libs: string
  /** Folder of the compiled classes. */
  classes: string
  /** `classes:libs/*`, for `java -cp`. */
  classpath: string
}

export interface BuildOptions {
  /** Folder of `.java` files (searched recursively); relative paths are from the repository root. */
  sources: string
  /** Progress messages (default: none). */
  log?: (message: string) => void
}

/** Make sure the jars for the broker's Kafka version are in the cache; returns their folder. */
export async function jvmJars(log?: (message: string) => void): Promise<{ version: string; libs: string }> {
  const version = await kafkaVersion()
  const libs = await collectJars({
    pom: pomPath,
    target: join(jvmCacheDir(), `libs-${version}`),
    properties: { 'kafka.version': version },
    label: `Kafka Streams ${version} jars`,
    log,
  })
  return { version, libs }
}

async function javaFiles(dir: string): Promise<string[]> {
  const found: string[] = []
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...(await javaFiles(path)))
    else if (entry.name.endsWith('.java')) found.push(path)
  }
  return found.sort()
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, fail) => {
    execFile(command, args, { maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (!error) return done()
      fail(new Error(`${command} failed: ${error.message}\n${`${stdout}\n${stderr}`.trim()}`))
    })
  })
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/**
 * Fetch the jars (once) and compile the `.java` files under `options.sources` (again only when they changed).
 * Safe to call from several processes at once: each compiles into a private folder renamed into place.
 */
export async function buildJava(options: BuildOptions): Promise<JavaProgram> {
  const sources = resolve(repoRoot, options.sources)
  const { version, libs } = await jvmJars(options.log)
  const files = await javaFiles(sources)
  if (files.length === 0) throw new Error(`no .java files under ${sources}`)
  const hash = createHash('sha256').update(version)
  for (const file of files)
    hash
      .update(relative(sources, file))
      .update('\0')
      .update(await readFile(file))
  const classes = join(jvmCacheDir(), 'classes', hash.digest('hex').slice(0, 16))
  const classpath = `${classes}:${join(libs, '*')}`
  const program = { kafkaVersion: version, libs, classes, classpath }
  if (await exists(join(classes, '.complete'))) return program

  const tmp = `${classes}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  await mkdir(tmp, { recursive: true })
  try {
    options.log?.(`compiling ${files.length} Java file(s) from ${relative(repoRoot, sources)}`)
    await run(jdkTool('javac'), ['-nowarn', '-encoding', 'UTF-8', '-cp', join(libs, '*'), '-d', tmp, ...files])
    await writeFile(join(tmp, '.complete'), `${new Date().toISOString()}\n`)
    await rename(tmp, classes).catch(async (error: unknown) => {
      // Another process compiled the same sources first: its folder is as good.
      if (!(await exists(join(classes, '.complete')))) throw error
    })
  } finally {
    await rm(tmp, { recursive: true, force: true })
  }
  return program
}

export interface JavaCommandOptions {
  /** Extra JVM flags (e.g. `-Xmx512m`). */
  jvm?: string[]
}

/** `[java, args]` to run `mainClass` of a built program with the repository's log4j2 configuration. */
export function javaCommand(
  program: JavaProgram,
  mainClass: string,
  args: string[],
  options: JavaCommandOptions = {},
): [string, string[]] {
  return [
    jdkTool('java'),
    [
      ...(options.jvm ?? []),
      `-Dlog4j2.configurationFile=${jvmLog4jConfig}`,
      '-cp',
      program.classpath,
      mainClass,
      ...args,
    ],
  ]
}
