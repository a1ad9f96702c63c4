/** Shared pieces of the Kafka client-ceiling benchmark: the broker, the admin view of topics, and rates. */
import { join } from 'node:path'
import { runRoot, startKafka } from '../../scripts/kafka/index.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'

export const VALUE_BYTES = 100

/** A broker for the run: FAUSTUS_TEST_KAFKA when set, else a throwaway one stopped by `stop()`. */
export async function benchBroker(): Promise<{ bootstrap: string; started: boolean; stop: () => Promise<void> }> {
  const given = process.env.FAUSTUS_TEST_KAFKA
  if (given) return { bootstrap: given, started: false, stop: async () => {} }
  const cluster = await startKafka({ brokers: 1, dir: join(runRoot(), `bench-kafka-${process.pid}`) })
  return { bootstrap: cluster.bootstrap, started: true, stop: () => cluster.stop() }
}

export const silentLogger = {
  debug: () => {},
  info: () => {},
  warn: (fields: object, message?: string) => console.error('warn:', message, fields),
}

/** Topic admin through the Faustus driver (creation, end offsets, deletion). */
export class BenchAdmin {
  readonly transport: KafkaTransport
  readonly partitions: number

  constructor(bootstrap: string, partitions: number) {
    this.transport = new KafkaTransport({ url: `kafka://${bootstrap}`, clientId: 'bench-admin', logger: silentLogger })
    this.partitions = partitions
  }

  async create(names: string[]): Promise<void> {
    await this.transport.connect()
    await this.transport.ensureTopics(names.map((name) => ({ name, partitions: this.partitions, replicas: 1 })))
  }

  /** Sum of the end offsets (high watermarks) of every partition of `topic`. */
  async endOffset(topic: string): Promise<number> {
    return (await this.endOffsets(topic)).reduce((sum, end) => sum + end, 0)
  }

  /** The end offset of each partition of `topic`, by partition. */
  async endOffsets(topic: string): Promise<number[]> {
    const partitions = Array.from({ length: this.partitions }, (_, partition) => ({ topic, partition }))
    const offsets = await this.transport.listOffsets(partitions)
    return partitions.map(({ partition }) => offsets.find((o) => o.partition === partition)?.latest ?? 0)
  }

  /**
   * Polls the end offsets of `topic` until they sum to `target` or `deadline` (performance.now() ms) passes;
   * returns the count reached and the time (performance.now()) it was first seen.
   */
  async waitForEnd(
    topic: string,
    target: number,
    deadline: number,
    everyMs = 50,
  ): Promise<{ count: number; at: number }> {
    for (;;) {
      const count = await this.endOffset(topic)
      const at = performance.now()
      if (count >= target || at >= deadline) return { count, at }
      await new Promise((resolve) => setTimeout(resolve, everyMs))
    }
  }

  /** As `waitForEnd`, for the sum of the offsets `groupId` committed on `topic` (input processed and committed). */
  async waitForCommitted(
    groupId: string,
    topic: string,
    target: number,
    deadline: number,
    everyMs = 50,
  ): Promise<{ count: number; at: number }> {
    const partitions = Array.from({ length: this.partitions }, (_, partition) => ({ topic, partition }))
    const reader = this.transport.createConsumer({
      groupId,
      handler: { onAssigned() {}, onRevoked() {}, onRecords() {} },
    })
    try {
      for (;;) {
        const committed = await reader.committed(partitions)
        const count = [...committed.values()].reduce((sum, offset) => sum + offset, 0)
        const at = performance.now()
        if (count >= target || at >= deadline) return { count, at }
        await new Promise((resolve) => setTimeout(resolve, everyMs))
      }
    } finally {
      await reader.close()
    }
  }

  async close(topics: string[]): Promise<void> {
    await this.transport.deleteTopics(topics).catch(() => {})
    await this.transport.close()
  }
}

export function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count / ms) * 1000) : 0
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`
}

/** Runs `work` and returns its result with the CPU time (user + system, µs) this process spent meanwhile. */
export async function withCpu<T>(work: () => Promise<T>): Promise<{ result: T; cpuMicros: number }> {
  const before = process.cpuUsage()
  const result = await work()
  const used = process.cpuUsage(before)
  return { result, cpuMicros: used.user + used.system }
}
