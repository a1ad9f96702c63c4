// read_committed on a real broker when an aborted transaction's records are split over fetch responses: with a
// small fetch size every response ends inside the transaction and only the last one holds its ABORT marker. None of
// its records may reach a read_committed reader; the committed transaction after it is read whole.
// And a producer id with an aborted transaction, a committed one, and an aborted one that wrote nothing in the
// partition (an ABORT marker alone, which the broker does not list as an aborted transaction): the committed one is
// read (the client library's filter dropped everything of that producer up to the last ABORT marker).
import { randomUUID } from 'node:crypto'
import { Producer as LibraryProducer, ProduceAcks } from '@platformatic/kafka'
import { describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { partitionsOf, readToEnd, waitFor } from '../helpers.ts'

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

  it('reads a committed transaction between an aborted one and an empty aborted one of the same producer', async () => {
    const bootstrap = inject('kafkaBootstrap')
    const topic = `aborted-empty-${randomUUID().slice(0, 8)}`
    const transport = new KafkaTransport({ url: `kafka://${bootstrap}`, logger: silent })
    await transport.connect()
    // The library's producer: its transactions can take a partition in without writing to it (an exactly-once
    // checkpoint whose send never reached the broker does the same: the coordinator still writes the ABORT marker).
    const producer = new LibraryProducer({
      clientId: `${topic}-producer`,
      bootstrapBrokers: [bootstrap],
      transactionalId: `${topic}-tx`,
      idempotent: true,
      acks: ProduceAcks.ALL,
    })
    try {
      await transport.ensureTopics([{ name: topic, partitions: 1 }])
      const message = (value: string) => ({ topic, partition: 0, value: Buffer.from(value) })
      let transaction = await producer.beginTransaction({ producerId: -1n, producerEpoch: -1 })
      await transaction.send({ messages: [message('aborted')] })
      await transaction.abort()
      transaction = await producer.beginTransaction()
      await transaction.send({ messages: [message('committed-0'), message('committed-1')] })
      await transaction.commit()
      transaction = await producer.beginTransaction()
      const metadata = await producer.metadata({ topics: [topic] })
      await transaction.addPartitions(metadata, [message('never sent')])
      await transaction.abort()

      // aborted, its marker, two committed, their marker, the empty transaction's marker (the coordinator writes
      // markers after EndTxn answered: on a loaded machine the last one may come a little later).
      const endOffset = async () =>
        (await transport.listOffsets(partitionsOf(topic, 1), { isolationLevel: 'read_uncommitted' }))[0].latest
      await waitFor(async () => (await endOffset()) >= 6, 30_000, 'the ABORT marker of the empty transaction')
      expect(await endOffset()).toBe(6)
      const records = await readToEnd(transport, partitionsOf(topic, 1))
      expect(records.map((r) => r.value!.toString())).toEqual(['committed-0', 'committed-1'])
    } finally {
      await producer.close()
      await transport.deleteTopics([topic])
      await transport.close()
    }
  })
})
