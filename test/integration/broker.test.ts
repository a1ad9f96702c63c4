// Proves the test broker works: create a topic, produce one message, consume it back.
import { randomBytes } from 'node:crypto'
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka'
import { afterAll, describe, expect, inject, it } from 'vitest'

const bootstrap = inject('kafkaBootstrap')
const brokers = bootstrap.split(',')
const topic = `broker-test-${randomBytes(4).toString('hex')}`
const clientId = 'faustus-broker-test'

describe('test broker', () => {
  const admin = new Admin({ clientId, bootstrapBrokers: brokers })

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] })
    await admin.close()
  })

  it('is provided to workers', () => {
    expect(bootstrap).toMatch(/^127\.0\.0\.1:\d+(,127\.0\.0\.1:\d+)*$/)
    expect(process.env.FAUSTUS_TEST_KAFKA).toBe(bootstrap)
  })

  it('creates a topic, produces and consumes a message', async () => {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    expect(await admin.listTopics()).toContain(topic)

    const producer = new Producer({ clientId, bootstrapBrokers: brokers, serializers: stringSerializers })
    try {
      await producer.send({ messages: [{ topic, key: 'k1', value: 'hello kafka', headers: { h: 'v' } }] })
    } finally {
      await producer.close()
    }

    const consumer = new Consumer({
      clientId,
      groupId: `${topic}-group`,
      bootstrapBrokers: brokers,
      deserializers: stringDeserializers,
    })
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false })
      let received: { key: string; value: string; offset: bigint } | undefined
      for await (const message of stream) {
        received = { key: message.key, value: message.value, offset: message.offset }
        break
      }
      await stream.close()
      expect(received).toEqual({ key: 'k1', value: 'hello kafka', offset: 0n })
    } finally {
      await consumer.close()
    }
  })
})
