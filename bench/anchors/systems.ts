/**
 * The systems of the anchors benchmark and how each is started: one child process per system and workload, which
 * prints ANCHOR_FIRST / ANCHOR_DONE lines (epoch ms). How the end is seen differs with what the system promises:
 *   output     the sink topic's end offsets reach the record count (at-least-once passthroughs),
 *   committed  the group committed every input offset (exactly-once passthroughs: outputs committed with them),
 *   done       the system processed the last record (keyed counts: the count is updated; its changelog record is
 *              queued or, as Kafka Streams' record cache holds it, cached until the next commit).
 *   partitions every source partition's last record was processed (N processes, none of which sees every record).
 */
import { join } from 'node:path'
import type { JavaProgram } from '../../scripts/jvm/index.ts'
import { javaCommand } from '../../scripts/jvm/index.ts'

export type Workload = 'passthrough' | 'count'
export type EndSignal = 'output' | 'committed' | 'done' | 'partitions'
export type Runtime = 'node' | 'java' | 'quix' | 'faust'

export interface LaunchContext {
  root: string
  bootstrap: string
  partitions: number
  source: string
  /** Output topic (passthrough) or '-' (count). */
  sink: string
  total: number
  /** Consumer group / application id, unique per run. */
  group: string
  /** A fresh folder for the system's local state. */
  stateDir: string
  /** Processes (Faustus) or stream threads (Kafka Streams) of the "-n" systems. */
  processes: number
  /** The offset of each source partition's last record. */
  lastOffsets: number[]
  java?: JavaProgram
  quixPython?: string
  faustPython?: string
}

export interface SystemSpec {
  id: string
  label: string
  workload: Workload
  runtime: Runtime
  end: EndSignal
  launch(ctx: LaunchContext): Launch
}

export interface Launch {
  command: string
  args: string[]
  env?: Record<string, string>
}

function node(system: string, extra: string[] = []) {
  return (ctx: LaunchContext) => ({
    command: process.execPath,
    args: [
      '--import',
      'tsx',
      join(ctx.root, 'bench/anchors/node_anchor.ts'),
      system,
      ctx.bootstrap,
      ctx.group,
      ctx.source,
      ctx.sink,
      String(ctx.total),
      String(ctx.partitions),
      ...extra,
    ],
  })
}

/** `faustus worker --processes N` on bench/anchors/faustus_worker.ts. */
function faustusWorkers(workload: Workload, store: (ctx: LaunchContext) => string) {
  return (ctx: LaunchContext): Launch => ({
    command: process.execPath,
    args: [
      join(ctx.root, 'bin/faustus.js'),
      '-A',
      join(ctx.root, 'bench/anchors/faustus_worker.ts'),
      'worker',
      '--processes',
      String(ctx.processes),
    ],
    env: {
      FAUSTUS_LOG_LEVEL: 'error',
      ANCHOR_CONFIG: JSON.stringify({
        workload,
        bootstrap: ctx.bootstrap,
        group: ctx.group,
        source: ctx.source,
        sink: ctx.sink,
        partitions: ctx.partitions,
        store: store(ctx),
        lastOffsets: ctx.lastOffsets,
      }),
    },
  })
}

/**
 * Faustus committing every 10,000 acks besides its interval (`brokerCommitEvery: 10000`, as Faust commits every
 * `broker_commit_every` acks): the table cache then coalesces each key's changes over 10,000 events, not 2.8 s.
 */
function everyTenThousand(launch: (ctx: LaunchContext) => Launch) {
  return (ctx: LaunchContext): Launch => {
    const launched = launch(ctx)
    return { ...launched, env: { ...launched.env, FAUSTUS_BROKER_COMMIT_EVERY: '10000' } }
  }
}

function kafkaStreams(mode: Workload, guarantee: 'at_least_once' | 'exactly_once_v2', threads?: 'n') {
  return (ctx: LaunchContext): Launch => {
    if (!ctx.java) throw new Error('the Kafka Streams program is not built')
    const [command, args] = javaCommand(ctx.java, 'Anchor', [
      mode,
      guarantee,
      ctx.bootstrap,
      ctx.group,
      ctx.source,
      ctx.sink,
      String(ctx.total),
      ctx.stateDir,
    ])
    return { command, args, env: { ANCHOR_THREADS: String(threads === 'n' ? ctx.processes : 1) } }
  }
}

function quix(mode: Workload) {
  return (ctx: LaunchContext) => {
    if (!ctx.quixPython) throw new Error('no Quix Streams venv')
    const script = join(ctx.root, 'bench/anchors/quix_anchor.py')
    const args = [script, mode, ctx.bootstrap, ctx.group, ctx.source, ctx.sink, String(ctx.total), ctx.stateDir]
    return { command: ctx.quixPython, args }
  }
}

function faust(mode: Workload) {
  return (ctx: LaunchContext) => {
    if (!ctx.faustPython) throw new Error('no Python Faust venv')
    const script = join(ctx.root, 'bench/anchors/faust_anchor.py')
    const args = [script, mode, ctx.bootstrap, ctx.group, ctx.source, ctx.sink, String(ctx.total), ctx.stateDir]
    return { command: ctx.faustPython, args: [...args, String(ctx.partitions)] }
  }
}

export const SYSTEMS: SystemSpec[] = [
  {
    id: 'raw',
    label: 'raw @platformatic/kafka loop',
    workload: 'passthrough',
    runtime: 'node',
    end: 'output',
    launch: node('raw-passthrough'),
  },
  {
    id: 'faustus',
    label: 'Faustus agent',
    workload: 'passthrough',
    runtime: 'node',
    end: 'output',
    launch: node('faustus-passthrough'),
  },
  {
    id: 'faustus-eos',
    label: 'Faustus agent, exactly-once',
    workload: 'passthrough',
    runtime: 'node',
    end: 'committed',
    launch: node('faustus-passthrough-eos'),
  },
  {
    id: 'kstreams',
    label: 'Kafka Streams, at-least-once',
    workload: 'passthrough',
    runtime: 'java',
    end: 'output',
    launch: kafkaStreams('passthrough', 'at_least_once'),
  },
  {
    id: 'kstreams-eos',
    label: 'Kafka Streams, exactly_once_v2',
    workload: 'passthrough',
    runtime: 'java',
    end: 'committed',
    launch: kafkaStreams('passthrough', 'exactly_once_v2'),
  },
  {
    id: 'faustus-n',
    label: 'Faustus agent, N processes',
    workload: 'passthrough',
    runtime: 'node',
    end: 'output',
    launch: faustusWorkers('passthrough', () => 'memory://'),
  },
  {
    id: 'kstreams-n',
    label: 'Kafka Streams, at-least-once, N threads',
    workload: 'passthrough',
    runtime: 'java',
    end: 'output',
    launch: kafkaStreams('passthrough', 'at_least_once', 'n'),
  },
  {
    id: 'quix',
    label: 'Quix Streams',
    workload: 'passthrough',
    runtime: 'quix',
    end: 'output',
    launch: quix('passthrough'),
  },
  {
    id: 'faust',
    label: 'Python Faust',
    workload: 'passthrough',
    runtime: 'faust',
    end: 'output',
    launch: faust('passthrough'),
  },
  {
    id: 'faustus',
    label: 'Faustus table, memory store',
    workload: 'count',
    runtime: 'node',
    end: 'done',
    launch: node('faustus-count', ['memory://']),
  },
  {
    id: 'faustus-lmdb',
    label: 'Faustus table, LMDB store',
    workload: 'count',
    runtime: 'node',
    end: 'done',
    // The state dir is only known at launch: the store URL is built there.
    launch: (ctx) => node('faustus-count', [`lmdb://${ctx.stateDir}`])(ctx),
  },
  {
    id: 'kstreams',
    label: 'Kafka Streams count, RocksDB',
    workload: 'count',
    runtime: 'java',
    end: 'done',
    launch: kafkaStreams('count', 'at_least_once'),
  },
  {
    id: 'faustus-n',
    label: 'Faustus table, memory store, N processes',
    workload: 'count',
    runtime: 'node',
    end: 'partitions',
    launch: faustusWorkers('count', () => 'memory://'),
  },
  {
    id: 'faustus-lmdb-n',
    label: 'Faustus table, LMDB store, N processes',
    workload: 'count',
    runtime: 'node',
    end: 'partitions',
    launch: faustusWorkers('count', (ctx) => `lmdb://${ctx.stateDir}`),
  },
  {
    id: 'faustus-n-every',
    label: 'Faustus table, memory store, N processes, commits every 10k acks',
    workload: 'count',
    runtime: 'node',
    end: 'partitions',
    launch: everyTenThousand(faustusWorkers('count', () => 'memory://')),
  },
  {
    id: 'faustus-lmdb-n-every',
    label: 'Faustus table, LMDB store, N processes, commits every 10k acks',
    workload: 'count',
    runtime: 'node',
    end: 'partitions',
    launch: everyTenThousand(faustusWorkers('count', (ctx) => `lmdb://${ctx.stateDir}`)),
  },
  {
    id: 'kstreams-n',
    label: 'Kafka Streams count, RocksDB, N threads',
    workload: 'count',
    runtime: 'java',
    end: 'done',
    launch: kafkaStreams('count', 'at_least_once', 'n'),
  },
  {
    id: 'quix',
    label: 'Quix Streams, RocksDB state',
    workload: 'count',
    runtime: 'quix',
    end: 'done',
    launch: quix('count'),
  },
  {
    id: 'faust',
    label: 'Python Faust table',
    workload: 'count',
    runtime: 'faust',
    end: 'done',
    launch: faust('count'),
  },
]
