// Where an exactly-once checkpoint cuts its transaction (memory transport): between events, without draining the
// events still queued, unless a topic fans out to several streams.
import { describe, expect, it } from 'vitest'
import type { App, Stream } from '../../src/index.ts'
import { memoryBrokers } from '../../src/transport/memory/registry.ts'
import { MemoryTransport, memoryBrokerName } from '../../src/transport/memory/transport.ts'
import { stopAfterEach, testApp, waitFor } from '../helpers.ts'

const apps = stopAfterEach()

function committed(app: App, topic: string): number | undefined {
  return memoryBrokers.get(memoryBrokerName(app.settings.broker)).group(app.groupId).committed({ topic, partition: 0 })
}

/** Values of partition 0 of `topic` a read_committed reader sees, read to the last stable offset. */
async function readCommitted(app: App, topic: string): Promise<number[]> {
  const transport = new MemoryTransport({ url: app.settings.broker })
  const [end] = await transport.listOffsets([{ topic, partition: 0 }])
  const values: number[] = []
  let position = 0
  const reader = transport.createConsumer({
    handler: {
      onAssigned: () => {},
      onRevoked: () => {},
      onRecords: (batch) => {
        for (const record of batch) values.push(JSON.parse(record.value!.toString()))
      },
      onPosition: (p) => {
        position = p.offset
      },
    },
  })
  await reader.assign([{ topic, partition: 0, offset: 0 }])
  await reader.start()
  await waitFor(() => position >= end.latest, 10_000, 'the end offset')
  await reader.close()
  return values
}

/** Values 0..9 from a plain producer (what the app sends itself goes into its transactions). */
async function sendInputs(app: App): Promise<void> {
  const producer = new MemoryTransport({ url: app.settings.broker }).createProducer()
  for (let value = 0; value < 10; value++) {
    await producer.send([{ topic: 'cut-in', partition: 0, key: null, value: Buffer.from(String(value)) }])
  }
}

function latch() {
  let open!: () => void
  let waiting = 0
  const promise = new Promise<void>((resolve) => {
    open = resolve
  })
  return {
    wait: () => {
      waiting++
      return promise
    },
    open,
    get waiting() {
      return waiting
    },
  }
}

function eosApp(readers: number) {
  const app = testApp(undefined, {
    broker: `memory://cut-${Math.random()}`,
    processingGuarantee: 'exactly_once',
    brokerCommitIntervalMs: 3_600_000,
  })
  apps.push(app)
  const source = app.topic('cut-in', { partitions: 1, valueType: 'json' })
  const sink = app.topic('cut-out', { partitions: 1, valueType: 'json' })
  const hold = latch()
  app.agent(
    source,
    async function* relay(stream: Stream<number>) {
      for await (const value of stream) {
        if (value === 1) await hold.wait()
        yield value
      }
    },
    { sink: [sink] },
  )
  // Fan-out: another agent reading the same topic.
  for (let i = 1; i < readers; i++) {
    app.agent(source, async function other(stream: Stream<number>) {
      for await (const _ of stream);
    })
  }
  return { app, hold }
}

describe('exactly-once checkpoint cut', () => {
  it('waits only for the events being processed: queued ones go into the next transaction', async () => {
    const { app, hold } = eosApp(1)
    await app.start()
    await sendInputs(app)
    await waitFor(() => hold.waiting === 1, 5000, 'the agent to hold event 1')
    const checkpoint = app.commit()
    hold.open()
    await checkpoint
    // Events 2..9 were queued at the cut: neither their offsets nor their outputs are in the transaction.
    expect(committed(app, 'cut-in')).toBe(2)
    expect(await readCommitted(app, 'cut-out')).toEqual([0, 1])
    // The streams went on after the cut; the next checkpoint commits the rest.
    await waitFor(() => app.stats().eventsInFlight === 0, 5000, 'the queued events')
    await app.commit()
    expect(committed(app, 'cut-in')).toBe(10)
    expect(await readCommitted(app, 'cut-out')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('with fan-out, finishes every delivered event before the cut', async () => {
    const { app, hold } = eosApp(2)
    await app.start()
    await sendInputs(app)
    await waitFor(() => hold.waiting === 1, 5000, 'the agent to hold event 1')
    const checkpoint = app.commit()
    hold.open()
    await checkpoint
    expect(committed(app, 'cut-in')).toBe(10)
    expect(await readCommitted(app, 'cut-out')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })
})
