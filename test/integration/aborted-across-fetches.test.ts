// read_committed on a real broker when an aborted transaction's records are split over fetch responses: with a
// small fetch size every response ends inside the transaction and only the last one holds its ABORT marker. None of
// its records may reach a read_committed reader; the committed transaction after it is read whole.
import { randomUUID } from 'node:crypto'
import { describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { partitionsOf, readToEnd } from '../helpers.ts'

const silent = { debug: () => {}, info: () => {}, warn: () => {} }

describe('read_committed across fetch responses (Kafka)', () => {
  it('drops every record of an aborted transaction spread over many fetch responses', async () => {
    const url = `kafka://${inject('kafkaBootstrap')}`
    const topic = `aborted-spans-${randomUUID().slice(0, 8)}`
    const writer = new KafkaTransport({ url, logger: silent })
    // About two 1 KB batches per fetch response.
    const reader = new KafkaTransport({ url, logger: silent, fetchMaxBytes: 2048, fetchPartitionMaxBytes: 2048 })
    await writer.connect()
    await reader.connect()
    try {
      await writer.ensureTopics([{ name: topic, partitions: 1 }])
      const producer = writer.createTransactionalProducer({ transactionalId: `${topic}-tx`, lingerMs: 0 })
      const pad = 'x'.repeat(900)
      // One send (one batch) at a time: 40 batches in the aborted transaction, its marker after the last.
      for (let i = 0; i < 40; i++) {
        await producer.send([{ topic, partition: 0, key: null, value: Buffer.from(`aborted-${i}-${pad}`) }])
      }
      await producer.abort()
      for (let i = 0; i < 5; i++) {
        await producer.send([{ topic, partition: 0, key: null, value: Buffer.from(`committed-${i}`) }])
      }
      await producer.commit()
      await producer.close()

      const records = await readToEnd(reader, partitionsOf(topic, 1))
      const values = records.map((r) => r.value!.toString().split('-').slice(0, 2).join('-'))
      expect(values.filter((v) => v.startsWith('aborted'))).toEqual([])
      expect(values).toEqual(['committed-0', 'committed-1', 'committed-2', 'committed-3', 'committed-4'])
    } finally {
      await writer.deleteTopics([topic])
      await reader.close()
      await writer.close()
    }
  })
})
