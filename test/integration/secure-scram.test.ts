// SASL/SCRAM over plaintext (SASL_PLAINTEXT) on a broker of this file's own: an agent, a table with changelog and
// recovery, ask across two processes; a worker with a wrong password stops at once with the typed error; no password
// in any output.
import { expect, it } from 'vitest'
import { clientEnv } from '../../scripts/kafka/security.ts'
import { describeSecured, expectNoSecrets, spawnFixture } from './secure-helpers.ts'

describeSecured('sasl-scram', 'SASL/SCRAM broker', (cluster) => {
  it('a worker with a wrong password exits with FST_BROKER_AUTH_FAILED, not 30 s of retries', async () => {
    const env = clientEnv(cluster().security!, cluster().bootstrap)
    const sasl = JSON.parse(env.FAUSTUS_BROKER_SASL!)
    const worker = spawnFixture(cluster(), `sec-bad-${Date.now()}`, 'worker', {
      FAUSTUS_BROKER_SASL: JSON.stringify({ ...sasl, password: 'wrong-password' }),
    })
    const code = await new Promise<number | null>((resolve) => worker.process.once('exit', resolve))
    expect(code).not.toBe(0)
    expect(worker.lines.join('\n')).toContain('FST_BROKER_AUTH_FAILED')
    // Typed at once: the retry path would end, after the connect deadline, as FST_BROKER_UNAVAILABLE.
    expect(worker.lines.join('\n')).not.toContain('FST_BROKER_UNAVAILABLE')
  })

  it('no password appears in trace logs or error messages', () => {
    expectNoSecrets(cluster())
  })
})
