// npm run jvm -- jars | build <dir> | run <dir> <MainClass> [args...]   (node scripts/jvm.ts with the pinned Node)
//
//   jars    fetch the kafka-streams jars of the broker's Kafka version (scripts/kafka/pom.xml) and print their folder
//   build   fetch the jars, compile the .java files under <dir>, print the classpath (last stdout line)
//   run     build, then run <MainClass> with that classpath (stdio inherited; exits with its code)
//
// Progress goes to stderr. See scripts/jvm/index.ts for the functions and docs/benchmarks.md.
import { spawn } from 'node:child_process'
import { buildJava, javaCommand, jvmJars } from './jvm/index.ts'

const USAGE = `usage: npm run jvm -- <command>
  jars                           fetch the Kafka Streams jars (broker's version) into .cache/jvm; print the folder
  build <dir>                    fetch the jars, compile <dir>/**/*.java; print the classpath
  run <dir> <MainClass> [args]   build, then run MainClass with the classpath`

const log = (message: string) => process.stderr.write(`jvm: ${message}\n`)

async function main(argv: string[]): Promise<number> {
  const [command, dir, mainClass, ...rest] = argv
  switch (command) {
    case 'jars': {
      process.stdout.write(`${(await jvmJars(log)).libs}\n`)
      return 0
    }
    case 'build': {
      if (!dir) break
      process.stdout.write(`${(await buildJava({ sources: dir, log })).classpath}\n`)
      return 0
    }
    case 'run': {
      if (!dir || !mainClass) break
      const [java, args] = javaCommand(await buildJava({ sources: dir, log }), mainClass, rest)
      const child = spawn(java, args, { stdio: 'inherit' })
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal))
      return new Promise((done) => child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0))))
    }
    case '-h':
    case '--help':
      process.stdout.write(`${USAGE}\n`)
      return 0
  }
  process.stderr.write(`${USAGE}\n`)
  return 2
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`jvm: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
