import { describe, expect, it } from 'vitest'
import { serverProperties } from '../../scripts/kafka/config.ts'

const node = { id: 1, port: 9092, controllerPort: 9093, dir: '/tmp/faustus-node-1' }

function property(text: string, name: string): string | undefined {
  return text
    .split('\n')
    .find((line) => line.startsWith(`${name}=`))
    ?.slice(name.length + 1)
}

describe('scripts/kafka server.properties', () => {
  it('keeps records whatever their event time: no broker-wide time retention', () => {
    // Tests produce fixed event times (2023); with Kafka's default 7 days the broker deleted that input at its first
    // retention pass under a running test, and a worker reading it later had nothing left to read.
    const text = serverProperties(node, [node])
    expect(property(text, 'log.retention.ms')).toBe('-1')
    expect(property(text, 'log.retention.hours')).toBeUndefined()
    expect(property(text, 'log.retention.minutes')).toBeUndefined()
  })

  it('lets a caller override it (a test of retention itself)', () => {
    expect(property(serverProperties(node, [node], { 'log.retention.ms': 60_000 }), 'log.retention.ms')).toBe('60000')
  })
})
