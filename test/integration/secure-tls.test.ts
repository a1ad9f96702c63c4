// Mutual TLS on a broker of this file's own (client certificate required): an agent, a table with changelog and
// recovery, ask across two processes; exactly-once with a worker killed mid-stream; a missing client certificate is
// FST_BROKER_TLS_CLIENT_CERT at once (client and worker process); no key in any output.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { KafkaCluster } from '../../scripts/kafka/index.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import {
  codeOptions,
  expectNoSecrets,
  killChildren,
  runExactlyOnce,
  runScenario,
  seen,
  spawnFixture,
  startSecured,
} from './secure-helpers.ts'

let cluster: KafkaCluster

beforeAll(async () => {
  cluster = await startSecured('tls')
})

afterAll(async () => {
  killChildren()
  await cluster?.stop()
})

describe('mutual TLS broker', () => {
  it('runs an agent, a table with changelog and recovery, and ask across two processes', async () => {
    await runScenario(cluster)
  }, 600_000)

  it('exactly-once: a relaying agent killed with SIGKILL mid-stream, exactly one committed output per input', async () => {
    await runExactlyOnce(cluster)
  }, 600_000)

  // TLS 1.3: the broker checks the client certificate after the client finished its handshake, so its refusal is an
  // alert on the first read of an established connection (the library reports "Connection closed" to the request).
  it('without a client certificate the broker refusal is FST_BROKER_TLS_CLIENT_CERT within 5 s', async () => {
    const started = Date.now()
    // The default connect deadline (30 s): the typed error must come from the alert, not from running out of retries.
    const transport = new KafkaTransport(codeOptions(cluster, { tls: { caFile: cluster.security!.caFile } }))
    const error = await transport
      .connect()
      .then(() => transport.ensureTopics([{ name: `sec-probe-${started}`, partitions: 1, replicas: 1 }]))
      .then(
        () => undefined,
        (e: Error) => e,
      )
    await transport.close()
    const ms = Date.now() - started
    seen.push(String(error?.stack))
    expect(error).toMatchObject({ code: 'FST_BROKER_TLS_CLIENT_CERT', message: expect.stringContaining('certFile') })
    expect(ms).toBeLessThan(5_000)
  })

  it('a worker process without a client certificate exits with FST_BROKER_TLS_CLIENT_CERT, not 30 s of retries', async () => {
    const started = Date.now()
    const worker = spawnFixture(cluster, `sec-nocert-${started}`, 'worker', {
      FAUSTUS_BROKER_SSL: JSON.stringify({ caFile: cluster.security!.caFile }),
    })
    const code = await new Promise<number | null>((resolve) => worker.process.once('exit', resolve))
    expect(code).not.toBe(0)
    // Typed at once: the retry path would end, after the connect deadline, as FST_BROKER_UNAVAILABLE.
    expect(worker.lines.join('\n')).toContain('FST_BROKER_TLS_CLIENT_CERT')
    expect(worker.lines.join('\n')).not.toContain('FST_BROKER_UNAVAILABLE')
  })

  it('a certificate without its key is FST_SETTING_INVALID naming brokerSsl', () => {
    const s = cluster.security!
    expect(() => new KafkaTransport(codeOptions(cluster, { tls: { caFile: s.caFile, certFile: s.certFile } }))).toThrow(
      expect.objectContaining({ code: 'FST_SETTING_INVALID', message: expect.stringContaining('brokerSsl') }),
    )
  })

  it('no private key appears in trace logs or error messages', () => {
    expectNoSecrets(cluster)
  })
})
