import { describe, expect, it } from 'vitest'
import { Event, Message } from '../../src/streams/event.ts'
import { fanOut } from '../../src/streams/fan-out.ts'

function origin() {
  const acked: Message[] = []
  const message = new Message(
    { topic: 't', partition: 2, offset: 41, timestamp: 1000, key: null, value: null, headers: {} },
    { acked: (m) => acked.push(m) },
  )
  return { event: new Event('k', 'v', {}, message), acked }
}

describe('join results and the ack of their input', () => {
  it('the input is acked only when every result is', () => {
    const { event, acked } = origin()
    const results = fanOut(event, [
      { key: 'k', value: 1, timestamp: 1005 },
      { key: 'k', value: 2, timestamp: 1010 },
    ])
    expect(results.map((r) => [r.partition, r.offset, r.timestamp])).toEqual([
      [2, 41, 1005],
      [2, 41, 1010],
    ])
    results[1].ack()
    expect(acked).toEqual([])
    results[0].ack()
    results[0].ack()
    expect(acked).toHaveLength(1)
  })

  it('an input without results is acked at once', () => {
    const { event, acked } = origin()
    expect(fanOut(event, [])).toEqual([])
    expect(acked).toHaveLength(1)
  })
})
