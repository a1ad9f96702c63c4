// vitest globalSetup: a real 1-broker Kafka 4 for the `integration` project.
//
// Starts a broker in a fresh state dir under .cache/kafka/run/ (downloading the jars on first use), provides its
// bootstrap address as `inject('kafkaBootstrap')` and in `process.env.FAUSTUS_TEST_KAFKA`, and stops it at the end.
// If FAUSTUS_TEST_KAFKA is already set (for example `npm run kafka -- start` once, then
// `FAUSTUS_TEST_KAFKA=$(npm run -s kafka -- status) npx vitest run --project integration`), that broker is used.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { runRoot, startKafka } from '../../scripts/kafka/index.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `127.0.0.1:PORT[,...]` of the test broker. */
    kafkaBootstrap: string
  }
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const existing = process.env.FAUSTUS_TEST_KAFKA
  if (existing) {
    project.provide('kafkaBootstrap', existing)
    return undefined
  }
  const dir = join(runRoot(), `vitest-${process.pid}-${randomBytes(3).toString('hex')}`)
  const cluster = await startKafka({
    brokers: 1,
    dir,
    log: (message) => process.stderr.write(`[kafka] ${message}\n`),
  })
  process.env.FAUSTUS_TEST_KAFKA = cluster.bootstrap
  project.provide('kafkaBootstrap', cluster.bootstrap)
  return async () => {
    delete process.env.FAUSTUS_TEST_KAFKA
    await cluster.stop()
  }
}
