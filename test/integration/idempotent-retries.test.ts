// A produce request written by the broker whose answers are lost (as when the broker restarts between writing a
// batch and answering) is retried by the at-least-once producer; the retries must keep producer id and sequence
// numbers, so the broker recognises the batch and the record is stored once. The answers are lost on the way back
// from a real broker: every Produce request reaches it, its response is replaced by a network error.
import { randomUUID } from 'node:crypto'
import { Connection, NetworkError } from '@platformatic/kafka'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'

type Callback = (error: unknown, response?: unknown) => void
type Send = (this: unknown, ...args: unknown[]) => void

let transport: KafkaTransport

beforeAll(async () => {
  transport = new KafkaTransport({ url: `kafka://${inject('kafkaBootstrap')}` })
  await transport.connect()
})

afterAll(async () => {
  await transport.close()
})

/**
 * Makes the answers of the next `count` Produce requests of every connection in this process go missing: at the
 * connection, so requests the producer encodes itself (produce-encoding.ts) and the library's alike.
 */
function loseProduceAnswers(count: number): { lost: () => number; restore: () => void } {
  const prototype = Connection.prototype as unknown as { send: Send }
  const original = prototype.send
  let lost = 0
  prototype.send = function (this: unknown, ...args: unknown[]) {
    const callback = args.pop() as Callback
    if (args[0] !== 0) return original.call(this, ...args, callback) // not Produce
    return original.call(this, ...args, (error: unknown, response: unknown) => {
      if (error === null && lost < count) {
        lost++
        callback(new NetworkError('the answer was lost (test)'))
      } else callback(error, response)
    })
  }
  return { lost: () => lost, restore: () => void (prototype.send = original) }
}

describe('idempotent producer retries', () => {
  it('stores a record once when the answers to its written produce request are lost', async () => {
    const topic = `idem-retry-${randomUUID()}`
    await transport.ensureTopics([{ name: topic, partitions: 1, replicas: 1 }])
    const producer = transport.createProducer({ lingerMs: 0 })
    // More lost answers than the client library retries a request itself: our own retries must take over.
    const faults = loseProduceAnswers(8)
    try {
      await producer.send([{ topic, key: Buffer.from('k'), value: Buffer.from('once') }])
    } finally {
      faults.restore()
      await producer.close()
    }
    expect(faults.lost()).toBe(8)
    const [offsets] = await transport.listOffsets([{ topic, partition: 0 }])
    // One record in the log: every retry was recognised as the batch already written.
    expect(offsets.latest - offsets.earliest).toBe(1)
  })
})
