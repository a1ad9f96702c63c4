// npm run kafka -- start [--brokers 1|3] [--dir <state dir>] [--timeout <s>] | stop [--dir] | status [--dir] | download
//
// `start` leaves the brokers running (detached) and prints the bootstrap address as its last stdout line; it is also
// written to <state dir>/bootstrap. Progress goes to stderr. The default state dir is .cache/kafka/run/default.
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import {
  defaultStateDir,
  downloadKafka,
  kafkaStatus,
  startBroker,
  startKafka,
  stopBroker,
  stopKafka,
} from './kafka/index.ts'
import { clientEnv, isSecurityMode, readClientSecurity, SECURITY_MODES } from './kafka/security.ts'

const USAGE = `usage: npm run kafka -- <command> [options]
  start     [--brokers N] [--dir DIR] [--timeout SECONDS] [--heap 512m]   start and print the bootstrap address
            [--security plaintext|tls|sasl-plain|sasl-scram|sasl-ssl]    secured client listener; prints the
                                                                         client settings (FAUSTUS_* lines) first
  stop      [--dir DIR]                                                  stop the brokers, remove the state dir
  status    [--dir DIR]                                                  print the bootstrap address or "not running"
  broker-stop  --node ID [--kill] [--dir DIR]                            stop one broker (SIGTERM, or SIGKILL with --kill)
  broker-start --node ID [--dir DIR]                                     start a stopped broker again
  download                                                               fetch the broker jars into .cache/kafka/libs`

const log = (message: string) => process.stderr.write(`kafka: ${message}\n`)

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      brokers: { type: 'string', default: '1' },
      dir: { type: 'string' },
      timeout: { type: 'string', default: '90' },
      heap: { type: 'string', default: '512m' },
      security: { type: 'string', default: 'plaintext' },
      help: { type: 'boolean', short: 'h' },
      node: { type: 'string' },
      kill: { type: 'boolean' },
    },
  })
  const command = positionals[0]
  const dir = resolve(values.dir ?? defaultStateDir())
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`)
    return command || values.help ? 0 : 2
  }
  switch (command) {
    case 'download': {
      process.stdout.write(`${await downloadKafka({ log })}\n`)
      return 0
    }
    case 'start': {
      const current = await kafkaStatus(dir)
      if (current.running) {
        log(`already running in ${dir}`)
        printClientSettings(await readClientSecurity(dir), current.bootstrap ?? '')
        process.stdout.write(`${current.bootstrap}\n`)
        return 0
      }
      const security = values.security
      if (!isSecurityMode(security)) throw new Error(`--security must be one of ${SECURITY_MODES.join(', ')}`)
      const brokers = Number(values.brokers)
      const timeoutMs = Number(values.timeout) * 1000
      const cluster = await startKafka({ brokers, dir, timeoutMs, heap: values.heap, detached: true, log, security })
      printClientSettings(cluster.security, cluster.bootstrap)
      process.stdout.write(`${cluster.bootstrap}\n`)
      return 0
    }
    case 'stop': {
      const started = Date.now()
      const stopped = await stopKafka(dir)
      log(stopped ? `stopped in ${((Date.now() - started) / 1000).toFixed(1)} s` : `nothing running in ${dir}`)
      return 0
    }
    case 'status': {
      const status = await kafkaStatus(dir)
      process.stdout.write(`${status.running ? status.bootstrap : 'not running'}\n`)
      return status.running ? 0 : 1
    }
    case 'broker-stop':
    case 'broker-start': {
      const id = Number(values.node)
      if (!Number.isInteger(id) || id < 1) throw new Error(`${command} needs --node <id>`)
      const started = Date.now()
      if (command === 'broker-stop') await stopBroker(dir, id, values.kill ? 'SIGKILL' : 'SIGTERM')
      else await startBroker(dir, id, { heap: values.heap })
      log(`${command} node ${id} done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
      return 0
    }
    default:
      process.stderr.write(`unknown command ${command}\n${USAGE}\n`)
      return 2
  }
}

/** The FAUSTUS_* settings of a secured broker, as `export` lines (the bootstrap address stays the last line). */
function printClientSettings(security: Awaited<ReturnType<typeof readClientSecurity>>, bootstrap: string): void {
  if (!security) return
  log(`client listener: ${security.protocol}; settings (also in <dir>/security/client.json):`)
  for (const [name, value] of Object.entries(clientEnv(security, bootstrap))) {
    process.stdout.write(`export ${name}='${value}'\n`)
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    process.stderr.write(`kafka: ${error instanceof Error ? error.message : String(error)}\n`)
    process.exitCode = 1
  },
)
