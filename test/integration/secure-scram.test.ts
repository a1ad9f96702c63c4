// SASL/SCRAM over plaintext (SASL_PLAINTEXT) on a broker of this file's own: an agent, a table with changelog and
// recovery, ask across two processes; a worker with a wrong password stops at once with the typed error; no password
// in any output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KafkaCluster } from '../../scripts/kafka/index.ts'
import { clientEnv } from '../../scripts/kafka/security.ts'
import {
  expectNoSecrets,
  killChildren,
  runExactlyOnce,
  runScenario,
  spawnFixture,
  startSecured,
} from './secure-helpers.ts'

let cluster: KafkaCluster

beforeAll(async () => {
  cluster = await startSecured('sasl-scram')
})

afterAll(async () => {
  killChildren()
  await cluster?.stop()
})

describe('SASL/SCRAM broker', () => {
  it('runs an agent, a table with changelog and recovery, and ask across two processes', async () => {
    await runScenario(cluster)
  }, 600_000)

  it('exactly-once: a relaying agent killed with SIGKILL mid-stream, exactly one committed output per input', async () => {
    await runExactlyOnce(cluster)
  }, 600_000)

  it('a worker with a wrong password exits with FST_BROKER_AUTH_FAILED, not 30 s of retries', async () => {
    const started = Date.now()
    const env = clientEnv(cluster.security!, cluster.bootstrap)
    const sasl = JSON.parse(env.FAUSTUS_BROKER_SASL!)
    const worker = spawnFixture(cluster, `sec-bad-${started}`, 'worker', {
      FAUSTUS_BROKER_SASL: JSON.stringify({ ...sasl, password: 'wrong-password' }),
    })
    const code = await new Promise<number | null>((resolve) => worker.process.once('exit', resolve))
    expect(code).not.toBe(0)
    expect(worker.lines.join('\n')).toContain('FST_BROKER_AUTH_FAILED')
    // Includes starting Node with the TypeScript loader; the broker's refusal itself arrives in well under a second.
    expect(Date.now() - started).toBeLessThan(15_000)
  })

  it('no password appears in trace logs or error messages', () => {
    expectNoSecrets(cluster)
  })
})
