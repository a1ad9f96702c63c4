/** Helpers of the Kafka driver integration tests. */
import type { KafkaLogger } from '../../src/transport/kafka/index.ts'

export interface CapturedLog extends KafkaLogger {
  lines: { level: string; message: string }[]
}

/** Keeps log lines in memory (tests assert on them); prints warnings when FAUSTUS_TEST_VERBOSE is set. */
export function quietLogger(): CapturedLog {
  const lines: { level: string; message: string }[] = []
  const verbose = process.env.FAUSTUS_TEST_VERBOSE !== undefined
  const at =
    (level: string) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, message: msg ?? '' })
      if (verbose && level !== 'debug') process.stderr.write(`[${level}] ${msg} ${JSON.stringify(obj)}\n`)
    }
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn') }
}
