// Outputs a real broker refuses (MESSAGE_TOO_LARGE: a record over the sink topic's max.message.bytes) go through
// the agent's error policy: here deadLetter, so the input record is copied and the stream goes on.
import { randomUUID } from 'node:crypto'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { App, DEAD_LETTER_HEADERS, type Event, type Stream } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'

const apps: App[] = []
afterAll(async () => {
  for (const app of apps) await app.stop()
})

describe('refused outputs on Kafka', () => {
  it('a record too large for the sink topic is dead-lettered, naming the input, and the stream goes on', async () => {
    const run = randomUUID().slice(0, 8)
    const app = new App(`refusals-${run}`, {
      broker: `kafka://${inject('kafkaBootstrap')}`,
      logLevel: 'silent',
      topicPartitions: 1,
      brokerCommitIntervalMs: 200,
    })
    apps.push(app)
    const source = app.topic(`refusals-in-${run}`, { valueType: 'json' })
    const sink = app.topic(`refusals-out-${run}`, { valueType: 'json', config: { 'max.message.bytes': '1000' } })
    const dead = app.topic(`refusals-dead-${run}`, { valueType: 'json' })
    app.agent(
      source,
      async function* relay(stream: Stream<string>) {
        for await (const value of stream) yield value
      },
      { sink: [sink], onError: { deadLetter: dead.name } },
    )
    const relayed: string[] = []
    const deadLetters: Event[] = []
    app.task(async function readSink() {
      for await (const value of sink.stream()) relayed.push(value as string)
    })
    app.task(async function readDead() {
      for await (const event of dead.stream().events()) deadLetters.push(event)
    })
    await app.start()
    const big = 'x'.repeat(5000)
    for (const value of ['first', big, 'last']) await source.send({ value })
    await waitFor(
      () => deadLetters.length === 1 && relayed.length === 2,
      60_000,
      'the dead letter and both small outputs',
    )
    expect(relayed).toEqual(['first', 'last'])
    expect(deadLetters[0].value).toBe(big)
    expect(deadLetters[0].headers[DEAD_LETTER_HEADERS.code].toString()).toBe('FST_OUTPUT_REFUSED')
    expect(deadLetters[0].headers[DEAD_LETTER_HEADERS.offset].toString()).toBe('1')
    expect(app.state).toBe('running')
  }, 180_000)
})
