// The exactly-once rewind's producer replacement: outputs the finished events batched for the next turn must not
// reach the new producer (its transaction commits, while those events are read again from the committed offsets).
import { describe, expect, it } from 'vitest'
import { CurrentProducer } from '../../src/app/current-producer.ts'
import { Outputs } from '../../src/app/outputs.ts'
import { Rewinder, type RewindHost } from '../../src/app/rewinder.ts'
import { createLogger } from '../../src/logging.ts'
import type { ProduceRecord, RecordMetadata, TransactionalProducer } from '../../src/transport/types.ts'
import { waitFor } from '../helpers.ts'

/** A transactional producer that records what it is sent; its flush takes a network round trip (a timer). */
function recordingProducer(sent: ProduceRecord[][]): TransactionalProducer {
  return {
    send: async (records: ProduceRecord[]): Promise<RecordMetadata[]> => {
      sent.push(records)
      return records.map((r) => ({ topic: r.topic, partition: 0, offset: 0, timestamp: 0 }))
    },
    flush: () => new Promise((resolve) => setTimeout(resolve, 1)),
    close: async () => {},
    sendOffsets: async () => {},
    commit: async () => {},
    abort: async () => {},
  }
}

describe('Rewinder', () => {
  it('drops outputs batched before the producer is replaced: none reaches the new producer', async () => {
    const producers: ProduceRecord[][][] = []
    const producer = new CurrentProducer(() => {
      const sent: ProduceRecord[][] = []
      producers.push(sent)
      return recordingProducer(sent)
    }, true)
    const outputs = new Outputs(() => {})
    outputs.attach(producer)
    let rejoined = 0
    const host = {
      appId: 'rw',
      log: createLogger({ level: 'silent' }),
      revokeTimeoutMs: 1_000,
      conductor: { acks: { inFlight: () => 0 } },
      checkpoint: { rollback: () => outputs.discard(), recoverAhead: async () => {}, resume: () => {} },
      producer,
      consumer: undefined,
      transport: undefined,
      closing: () => false,
      drain: async () => true,
      rejoin: async () => {
        rejoined++
      },
      fatal: (error: unknown) => {
        throw error
      },
    } as unknown as RewindHost
    const rewinder = new Rewinder(host)
    // The last event before the rewind finished: its output waits in the batch for the next turn.
    outputs.send({ topic: 'out', key: null, value: Buffer.from('doomed') })
    rewinder.start(new Error('commit failed'))
    await waitFor(() => rejoined === 1, 5_000, 'the rewind')
    await rewinder.running
    expect(producers).toHaveLength(2)
    expect(producers[1]).toEqual([])
    expect(rewinder.stats).toMatchObject({ done: 1, rejoins: 1, producersReplaced: 1 })
  })
})
