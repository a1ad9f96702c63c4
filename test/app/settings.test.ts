import { describe, expect, it } from 'vitest'
import { App, isFaustusError, resolveSettings } from '../../src/index.ts'

describe('settings', () => {
  it('has Faust-like defaults', () => {
    const settings = resolveSettings({}, {})
    expect(settings).toMatchObject({
      broker: 'memory://',
      topicPartitions: 8,
      brokerCommitEvery: 0,
      brokerCommitIntervalMs: 2_800,
      useReplyHeaders: false,
    })
  })

  it('commits every 100 ms under exactly-once unless the interval is set (Kafka Streams)', () => {
    expect(resolveSettings({ processingGuarantee: 'exactly_once' }, {}).brokerCommitIntervalMs).toBe(100)
    const given = { processingGuarantee: 'exactly_once', brokerCommitIntervalMs: 2_800 } as const
    expect(resolveSettings(given, {}).brokerCommitIntervalMs).toBe(2_800)
    const fromEnv = { FAUSTUS_BROKER_COMMIT_INTERVAL_MS: '500' }
    expect(resolveSettings({ processingGuarantee: 'exactly_once' }, fromEnv).brokerCommitIntervalMs).toBe(500)
    expect(resolveSettings({ processingGuarantee: 'at_least_once' }, {}).brokerCommitIntervalMs).toBe(2_800)
  })

  it('buffers 4 MB of outputs under exactly-once unless the bound is set (the next transaction waits meanwhile)', () => {
    expect(resolveSettings({}, {}).producerMaxBufferedBytes).toBe(1_048_576)
    expect(resolveSettings({ processingGuarantee: 'exactly_once' }, {}).producerMaxBufferedBytes).toBe(4 * 1_048_576)
    const given = { processingGuarantee: 'exactly_once', producerMaxBufferedBytes: 65_536 } as const
    expect(resolveSettings(given, {}).producerMaxBufferedBytes).toBe(65_536)
  })

  it('reads FAUSTUS_* environment variables, and options win over them', () => {
    const env = { FAUSTUS_BROKER: 'kafka://h:1', FAUSTUS_TOPIC_PARTITIONS: '3', FAUSTUS_USE_REPLY_HEADERS: 'true' }
    expect(resolveSettings({}, env)).toMatchObject({ broker: 'kafka://h:1', topicPartitions: 3, useReplyHeaders: true })
    expect(resolveSettings({ topicPartitions: 5 }, env).topicPartitions).toBe(5)
  })

  it('rejects an unknown option or environment setting, naming it', () => {
    const unknown = (() => {
      try {
        resolveSettings({ brokr: 'x' } as never, {})
      } catch (error) {
        return error
      }
    })()
    expect(isFaustusError(unknown, 'FST_SETTING_UNKNOWN')).toBe(true)
    expect((unknown as Error).message).toContain('brokr')
    // The environment is shared: an unknown FAUSTUS_* variable warns (see settings-unavailable.test.ts).
    const warnings: string[] = []
    expect(() => resolveSettings({}, { FAUSTUS_BROKR: 'x' }, { warn: (m) => warnings.push(m) })).not.toThrow()
    expect(warnings[0]).toMatch(/FAUSTUS_BROKR/)
    // Reserved names used by the project's tests are not settings.
    expect(() => resolveSettings({}, { FAUSTUS_TEST_KAFKA: 'x' })).not.toThrow()
  })

  it('rejects an invalid value, naming the setting and the value', () => {
    expect(() => resolveSettings({ topicPartitions: 0 }, {})).toThrow(/topicPartitions.*0/)
    expect(() => resolveSettings({}, { FAUSTUS_TOPIC_PARTITIONS: 'many' })).toThrow(/topicPartitions/)
    try {
      new App('x', { processingGuarantee: 'maybe' as never })
    } catch (error) {
      expect(isFaustusError(error, 'FST_SETTING_INVALID')).toBe(true)
      return
    }
    expect.unreachable()
  })

  it('rejects an unsupported broker URL at start', async () => {
    const app = new App('bad-url', { broker: 'amqp://x', logLevel: 'silent' })
    await expect(app.start()).rejects.toMatchObject({ code: 'FST_BROKER_URL_INVALID' })
  })

  it('names the consumer group after the app id and version', () => {
    expect(new App('svc', { logLevel: 'silent' }).groupId).toBe('svc')
    expect(new App('svc', { version: 2, logLevel: 'silent' }).groupId).toBe('svc-v2')
  })
})
