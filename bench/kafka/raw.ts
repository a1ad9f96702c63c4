/**
 * The raw `@platformatic/kafka` client, without Faustus: filling the input topic, and (a) consuming it while
 * producing every record to another topic. Idempotent producers with acks=all and no compression, as the driver.
 */
import { randomUUID } from 'node:crypto'
import { Consumer, type MessageToProduce, ProduceAcks, Producer } from '@platformatic/kafka'
import { VALUE_BYTES } from './common.ts'

const SEND_BATCH = 10_000
/** One partition's batch must stay under the broker's 1 MB `message.max.bytes`; copied sends are one partition at worst. */
const COPY_BATCH = 8_000
const IN_FLIGHT = 8

function producer(bootstrap: string, clientId: string): Producer {
  return new Producer({ clientId, bootstrapBrokers: [bootstrap], idempotent: true, acks: ProduceAcks.ALL })
}

/** Writes `total` records of 100 bytes, no key, spread evenly over the partitions; returns the elapsed ms. */
export async function fill(bootstrap: string, topic: string, total: number, partitions: number): Promise<number> {
  const value = Buffer.alloc(VALUE_BYTES, 'x')
  return produceAll(bootstrap, 'bench-fill', total, (i) => ({ topic, partition: i % partitions, value }))
}

/**
 * Sends the records `recordOf(0 .. total - 1)` in sends of 10,000, 8 in flight, from an idempotent producer
 * `clientId`; returns the elapsed ms up to the last acknowledgement.
 */
export async function produceAll(
  bootstrap: string,
  clientId: string,
  total: number,
  recordOf: (i: number) => MessageToProduce,
): Promise<number> {
  const client = producer(bootstrap, clientId)
  const started = performance.now()
  const window: Promise<unknown>[] = []
  try {
    for (let start = 0; start < total; start += SEND_BATCH) {
      const messages: MessageToProduce[] = []
      for (let i = start; i < Math.min(total, start + SEND_BATCH); i++) messages.push(recordOf(i))
      window.push(client.send({ messages }))
      if (window.length >= IN_FLIGHT) await window.shift()
    }
    await Promise.all(window)
    return performance.now() - started
  } finally {
    await client.close(true)
  }
}

/**
 * (a) The client's own consume-and-produce loop at its best: the consumer's message stream gathered into sends of
 * 8,000 records (each to the partition it came from), 8 sends in flight, the stream paused while the window is
 * full. Timed from creating the consumer to the acknowledgement of the last send.
 */
export async function rawCopy(
  bootstrap: string,
  source: string,
  sink: string,
  total: number,
  /** Called for each record consumed (the anchors benchmark notes the first and the last). */
  onRecord?: () => void,
): Promise<number> {
  const consumer = new Consumer({
    clientId: 'bench-raw-consumer',
    groupId: `bench-raw-${randomUUID()}`,
    bootstrapBrokers: [bootstrap],
    maxWaitTime: 500,
    // 1 MB fetches: on this 2-core machine they copied at 1.3-2x the rate of 32 MB ones (fewer records held at once).
    maxBytes: 1024 * 1024,
  })
  const client = producer(bootstrap, 'bench-raw-producer')
  const started = performance.now()
  const stream = await retriable(() =>
    consumer.consume({ topics: [source], mode: 'earliest', autocommit: false, highWaterMark: COPY_BATCH }),
  )
  const window: Promise<unknown>[] = []
  let batch: MessageToProduce[] = []
  let seen = 0
  try {
    await new Promise<void>((resolve, reject) => {
      const flush = async (): Promise<void> => {
        const messages = batch
        batch = []
        window.push(client.send({ messages }))
        if (window.length > IN_FLIGHT) {
          stream.pause()
          await window.shift()
          stream.resume()
        }
      }
      stream.on('error', reject)
      stream.on('data', (message) => {
        onRecord?.()
        batch.push({ topic: sink, partition: message.partition, key: message.key, value: message.value })
        if (++seen === total) {
          stream.pause()
          flush().then(() => Promise.all(window).then(() => resolve()), reject)
        } else if (batch.length >= COPY_BATCH) flush().catch(reject)
      })
    })
    return performance.now() - started
  } finally {
    await stream.close().catch(() => {})
    await consumer.close(true).catch(() => {})
    await client.close(true).catch(() => {})
  }
}

/** Whether the client marks `error`, or every error it carries, retriable (NOT_COORDINATOR on a fresh broker). */
function canRetry(error: unknown): boolean {
  const e = error as { canRetry?: boolean; errors?: unknown[] }
  if (Array.isArray(e.errors) && e.errors.length > 0) return e.errors.every(canRetry)
  return e.canRetry === true
}

/**
 * The bare client does not retry a group join the coordinator refuses while it loads (a broker just started, as in
 * the benchmark's own): try again, 10 times at most, half a second apart.
 */
async function retriable<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run()
    } catch (error) {
      if (attempt >= 10 || !canRetry(error)) throw error
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
}
