import { describe, expect, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import { formatBrokers, parseKafkaUrl } from '../../src/transport/kafka/url.ts'

describe('kafka broker URL', () => {
  it('parses one or more brokers, with the default port', () => {
    expect(parseKafkaUrl('kafka://localhost:9092')).toEqual([{ host: 'localhost', port: 9092 }])
    expect(parseKafkaUrl('kafka://a:1,b, [::1]:3/')).toEqual([
      { host: 'a', port: 1 },
      { host: 'b', port: 9092 },
      { host: '::1', port: 3 },
    ])
    expect(formatBrokers(parseKafkaUrl('kafka://a:1,[::1]:3'))).toBe('a:1,[::1]:3')
  })

  it('rejects other schemes and bad ports with FST_BROKER_URL_INVALID', () => {
    for (const url of ['memory://', 'kafka://', 'kafka://host:0', 'kafka://host:x', 'kafka://a:1/path']) {
      let error: unknown
      try {
        parseKafkaUrl(url)
      } catch (e) {
        error = e
      }
      expect(isFaustusError(error, 'FST_BROKER_URL_INVALID'), url).toBe(true)
    }
  })
})
