/** Broker-side helpers of the interop tests: topics, and a Faustus app configured for them. */
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, type AppOptions } from '../../src/index.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import type { TopicSpec } from '../../src/transport/types.ts'

/** A fresh name prefix per test file, so runs on a shared broker never meet. */
export function uniquePrefix(name: string): string {
  return `interop-${name}-${randomBytes(3).toString('hex')}`
}

/** A raw transport for admin work and for reading topics directly. */
export function kafkaTransport(bootstrap: string): KafkaTransport {
  return new KafkaTransport({ url: `kafka://${bootstrap}`, clientId: 'faustus-interop', log: silentLog })
}

export async function createTopics(bootstrap: string, specs: TopicSpec[]): Promise<void> {
  const transport = kafkaTransport(bootstrap)
  try {
    await transport.connect()
    await transport.ensureTopics(specs)
  } finally {
    await transport.close()
  }
}

export function kafkaApp(id: string, bootstrap: string, options: AppOptions = {}): App {
  return new App(id, {
    broker: `kafka://${bootstrap}`,
    logLevel: (process.env.FAUSTUS_TEST_LOG as never) ?? 'silent',
    topicPartitions: 2,
    brokerCommitIntervalMs: 500,
    ...options,
  })
}

/** Environment of a Python fixture app. */
export function pythonAppEnv(
  appId: string,
  bootstrap: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    FAUST_APP_ID: appId,
    KAFKA_BOOTSTRAP: bootstrap,
    FAUST_DATADIR: mkdtempSync(join(tmpdir(), 'faust-interop-')),
    FAUST_LOGLEVEL: process.env.FAUSTUS_TEST_VERBOSE ? 'info' : 'warning',
    ...extra,
  }
}

const noop = () => {}
const silentLog = { debug: noop, info: noop, warn: noop }
