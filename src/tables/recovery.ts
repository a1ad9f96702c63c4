import { channels } from '../diagnostics.ts'
import { FaustusError } from '../errors.ts'
import type { Logger } from '../logging.ts'
import type { ConsumedRecord, TopicPartitionOffset, Transport } from '../transport/types.ts'
import { tpKey } from '../transport/types.ts'
import type { Collection } from './collection.ts'
import { RecoveryProgress } from './progress.ts'

/** One changelog partition to replay: offsets `from` (inclusive) to `to` (the end offset when recovery began). */
export interface RecoveryTask {
  table: Collection
  partition: number
  from: number
  to: number
}

export interface RecoveryOptions {
  log: Logger
  /** No record for this long while some partition is behind: FST_RECOVERY_STALLED. */
  stallTimeoutMs: number
  /** Draw progress on the terminal (default: when stderr is a TTY). */
  tty?: boolean
  /** The app id, named in diagnostics messages. */
  app?: string
  /** Stops the replay (rejecting); what was applied stays applied. */
  signal?: AbortSignal
}

interface Position {
  task: RecoveryTask
  next: number
}

/**
 * Replays changelog partitions into their stores with a manually assigned reader, from each store's applied offset
 * to the end offset taken when recovery began, showing progress. Resolves when every partition reached its end;
 * rejects with FST_RECOVERY_STALLED (naming the partition and offset) when nothing arrives for `stallTimeoutMs`.
 */
export async function recover(transport: Transport, tasks: RecoveryTask[], options: RecoveryOptions): Promise<number> {
  const todo = tasks.filter((t) => t.from < t.to)
  if (todo.length === 0) return 0
  const progress = new RecoveryProgress(options.log, { tty: options.tty })
  for (const task of todo) progress.expect(task.table.name, task.to - task.from)
  const positions = new Map<string, Position>(
    todo.map((task) => [
      tpKey({ topic: task.table.changelogTopic, partition: task.partition }),
      { task, next: task.from },
    ]),
  )
  const app = options.app ?? ''
  const report = (position: Position, phase: 'start' | 'progress' | 'end') =>
    channels.recovery.publish({ app, phase, ...describe(position) })
  if (channels.recovery.hasSubscribers) for (const position of positions.values()) report(position, 'start')
  let remaining = positions.size
  let read = 0
  let lastProgress = Date.now()
  let settle!: (error?: Error) => void
  const done = new Promise<void>((resolve, reject) => {
    settle = (error) => (error ? reject(error) : resolve())
  })
  // Settled (stalled, aborted) maybe before it is awaited: observed at once, rethrown by the await below.
  done.catch(() => {})

  const apply = (records: ConsumedRecord[]) => {
    let i = 0
    while (i < records.length) {
      // Records of one partition come in runs: apply each run at once.
      const first = records[i]
      let j = i + 1
      while (j < records.length && records[j].topic === first.topic && records[j].partition === first.partition) j++
      const position = positions.get(tpKey(first))
      if (position !== undefined) {
        const run = i === 0 && j === records.length ? records : records.slice(i, j)
        const wasBehind = position.next < position.task.to
        position.task.table.applyChangelog(first.partition, run)
        position.task.table.stats.recovered += run.length
        progress.advance(position.task.table.name, run.length)
        read += run.length
        position.next = run[run.length - 1].offset + 1
        if (channels.recovery.hasSubscribers) report(position, position.next >= position.task.to ? 'end' : 'progress')
        if (wasBehind && position.next >= position.task.to && --remaining === 0) settle()
      }
      i = j
    }
    lastProgress = Date.now()
  }

  // Transaction markers and aborted records take offsets but are never delivered: the reader's position says
  // when a partition reached its end even if its last records are such.
  const onPosition = (tp: TopicPartitionOffset) => {
    const position = positions.get(tpKey(tp))
    if (position === undefined || position.next >= position.task.to || tp.offset <= position.next) return
    position.next = tp.offset
    lastProgress = Date.now()
    if (position.next >= position.task.to && --remaining === 0) settle()
  }
  const reader = transport.createConsumer({
    handler: { onAssigned: () => {}, onRevoked: () => {}, onRecords: apply, onPosition },
    maxBatchSize: 10_000,
    isolationLevel: 'read_committed',
  })
  const watchdog = setInterval(
    () => {
      if (Date.now() - lastProgress < options.stallTimeoutMs) return
      const behind = [...positions.values()].find((p) => p.next < p.task.to)!
      settle(
        new FaustusError(
          'FST_RECOVERY_STALLED',
          `recovery of table "${behind.task.table.name}" stalled: ${behind.task.table.changelogTopic} partition ` +
            `${behind.task.partition} at offset ${behind.next} of ${behind.task.to}, nothing read for ` +
            `${options.stallTimeoutMs} ms`,
          {
            canRetry: true,
            details: {
              table: behind.task.table.name,
              topic: behind.task.table.changelogTopic,
              partition: behind.task.partition,
              offset: behind.next,
              end: behind.task.to,
            },
          },
        ),
      )
    },
    Math.max(10, Math.min(1000, options.stallTimeoutMs / 4)),
  )
  const onAbort = () => settle(new Error('table recovery aborted'))
  options.signal?.addEventListener('abort', onAbort, { once: true })
  if (options.signal?.aborted) onAbort()
  try {
    await reader.assign(todo.map((t) => ({ topic: t.table.changelogTopic, partition: t.partition, offset: t.from })))
    await reader.start()
    await done
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    clearInterval(watchdog)
    progress.finish()
    await reader.close()
  }
  return read
}

function describe({ task, next }: Position) {
  const { table, partition, from, to } = task
  return {
    table: table.name,
    topic: table.changelogTopic,
    partition,
    done: Math.min(next, to) - from,
    total: to - from,
  }
}

/**
 * Replays each wanted partition's changelog from its store's applied offset to the end offset now (from the start
 * when the store is ahead of its changelog: the topic was recreated).
 */
export async function replayChangelogs(
  transport: Transport,
  wanted: { table: Collection; partition: number }[],
  options: RecoveryOptions,
): Promise<number> {
  if (wanted.length === 0) return 0
  const listing = transport.listOffsets(
    wanted.map(({ table, partition }) => ({ topic: table.changelogTopic, partition })),
  )
  const offsets = await (options.signal === undefined ? listing : untilAborted(listing, options.signal))
  const tasks: RecoveryTask[] = wanted.map(({ table, partition }, i) => {
    const { earliest, latest } = offsets[i]
    const store = table.store(partition)
    const applied = store.appliedOffset()
    if (applied !== undefined && applied >= latest) {
      options.log.warn({ table: table.name, partition, applied, latest }, 'store ahead of changelog: rebuilding')
      table.clearPartition(partition)
      return { table, partition, from: earliest, to: latest }
    }
    return { table, partition, from: Math.max(earliest, (applied ?? -1) + 1), to: latest }
  })
  return await recover(transport, tasks, options)
}

/** `promise`, or a rejection when `signal` aborts first (the promise goes on, unobserved). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  promise.catch(() => {})
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'))
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
