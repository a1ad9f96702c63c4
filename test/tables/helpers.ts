import { randomUUID } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { App, type AppOptions } from '../../src/index.ts'
import { createLogger } from '../../src/logging.ts'
import { TableManager } from '../../src/tables/manager.ts'
import { Table } from '../../src/tables/table.ts'
import type { Producer } from '../../src/transport/types.ts'
import { openTransport } from '../helpers.ts'

const apps: App[] = []

/** A worker of app `id` on a shared memory broker (several workers of one id form a group). */
export function worker(id: string, broker: string, options: AppOptions = {}): App {
  const app = new App(id, {
    broker,
    logLevel: (process.env.FAUSTUS_TEST_LOG as never) ?? 'silent',
    topicPartitions: 4,
    ...options,
  })
  apps.push(app)
  return app
}

export function memoryBroker(name = 'tables'): string {
  return `memory://${name}-${randomUUID()}`
}

export function lmdbDir(): string {
  return mkdtempSync(join(tmpdir(), 'faustus-lmdb-'))
}

/** Stops every worker made by `worker` (afterEach). */
export async function stopWorkers(): Promise<void> {
  await Promise.all(apps.splice(0).map((app) => app.stop()))
}

/** Records of a topic on a memory broker, read through a fresh manual consumer. */
export async function readTopic(app: App, topic: string, partitions: number) {
  // Changelog records of the events processed so far reach the topic by the next checkpoint at the latest: run one.
  await app.commit()
  const transport = await openTransport(app)
  const offsets = await transport.listOffsets(
    Array.from({ length: partitions }, (_, partition) => ({ topic, partition })),
  )
  const out: { partition: number; offset: number; key: string | null; value: string | null }[] = []
  const total = offsets.reduce((n, o) => n + (o.latest - o.earliest), 0)
  if (total === 0) {
    await transport.close()
    return out
  }
  await new Promise<void>((resolve) => {
    const reader = transport.createConsumer({
      handler: {
        onAssigned: () => {},
        onRevoked: () => {},
        onRecords: (records) => {
          for (const r of records) {
            out.push({
              partition: r.partition,
              offset: r.offset,
              key: r.key?.toString() ?? null,
              value: r.value?.toString() ?? null,
            })
          }
          if (out.length >= total) {
            void reader.close()
            resolve()
          }
        },
      },
    })
    void reader
      .assign(offsets.map((o) => ({ topic, partition: o.partition, offset: o.earliest })))
      .then(() => reader.start())
  })
  await transport.close()
  return out
}

/**
 * A started table manager with one table `counts`, outside any app: no transport (recovery reads nothing), and a
 * producer that acknowledges every changelog record at once. The caller stops it.
 */
export async function bareTableManager(options: {
  appId: string
  storeUrl: string
  partitions: number
}): Promise<{ manager: TableManager; table: Table<unknown, unknown> }> {
  const producer: Producer = {
    send: async (records) => records.map((r, offset) => ({ topic: r.topic, partition: r.partition ?? 0, offset })),
    flush: async () => {},
    close: async () => {},
  } as Producer
  const manager = new TableManager({
    appId: options.appId,
    log: createLogger({ level: 'silent' }),
    defaultPartitions: options.partitions,
    storeUrl: options.storeUrl,
    declareTopic: () => {},
    transport: () => undefined,
    producer: async () => producer,
    consumer: () => undefined,
    sourceTopic: () => undefined,
    crash: (error) => {
      throw error
    },
  })
  const table = manager.add(new Table(manager, 'counts', { partitions: options.partitions }))
  await manager.start()
  return { manager, table }
}
