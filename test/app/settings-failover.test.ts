import { describe, expect, it } from 'vitest'
import { resolveSettings } from '../../src/app/settings.ts'

describe('failover settings', () => {
  it('default to what Kafka clients use: session 45 s, heartbeat 3 s; rebalance 60 s; dynamic membership', () => {
    const settings = resolveSettings({}, {})
    expect(settings.brokerSessionTimeoutMs).toBe(45_000)
    expect(settings.brokerHeartbeatIntervalMs).toBe(3_000)
    expect(settings.brokerRebalanceTimeoutMs).toBe(60_000)
    expect(settings.brokerGroupInstanceId).toBeUndefined()
  })

  it('are read from the environment, static membership included', () => {
    const settings = resolveSettings(
      {},
      { FAUSTUS_BROKER_SESSION_TIMEOUT_MS: '6000', FAUSTUS_BROKER_GROUP_INSTANCE_ID: 'worker-1' },
    )
    expect(settings.brokerSessionTimeoutMs).toBe(6_000)
    expect(settings.brokerGroupInstanceId).toBe('worker-1')
  })

  it('refuse an empty group instance id', () => {
    expect(() => resolveSettings({ brokerGroupInstanceId: '' }, {})).toThrow(/brokerGroupInstanceId/)
  })
})
