// server.properties for a KRaft cluster of 1..N nodes, each both broker and controller, on 127.0.0.1.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'

export interface NodeSpec {
  /** node.id, 1-based. */
  id: number
  /** PLAINTEXT listener (what clients bootstrap from). */
  port: number
  /** CONTROLLER listener (KRaft quorum). */
  controllerPort: number
  /** Folder of this node: server.properties, data/, logs/, stdout.log. */
  dir: string
  /** Secured client listener (TLS and/or SASL), when the cluster was started with `security`. */
  securePort?: number
}

/** A KRaft cluster id: 16 random bytes in URL-safe base64 without padding (22 characters). */
export function newClusterId(): string {
  // Not starting with '-': the storage tool would read it as an option ("expected one argument").
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

export function propertiesPath(node: NodeSpec): string {
  return join(node.dir, 'server.properties')
}

export function dataDir(node: NodeSpec): string {
  return join(node.dir, 'data')
}

export function logsDir(node: NodeSpec): string {
  return join(node.dir, 'logs')
}

export function bootstrapOf(nodes: NodeSpec[]): string {
  return nodes.map((node) => `127.0.0.1:${node.securePort ?? node.port}`).join(',')
}

/** The server.properties text of `node` in a cluster of `nodes`. */
export function serverProperties(
  node: NodeSpec,
  nodes: NodeSpec[],
  extra: Record<string, string | number | boolean> = {},
): string {
  const replication = Math.min(3, nodes.length)
  const voters = nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',')
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': voters,
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir(node),
    'num.partitions': 1,
    'default.replication.factor': replication,
    'min.insync.replicas': 1,
    'auto.create.topics.enable': false,
    'offsets.topic.replication.factor': replication,
    'transaction.state.log.replication.factor': replication,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': replication,
    'share.coordinator.state.topic.min.isr': 1,
    // Tests create many groups: do not wait 3 s for members to join, and allow short sessions.
    'group.initial.rebalance.delay.ms': 0,
    'group.min.session.timeout.ms': 1000,
    'delete.topic.enable': true,
    // Small and fast on a 2-core machine.
    'num.network.threads': 2,
    'num.io.threads': 4,
    'num.recovery.threads.per.data.dir': 1,
    'log.retention.check.interval.ms': 300000,
    // No time retention by default: tests write event times from any date (fixed ones, for determinism), and the
    // default 7 days deleted such input at the first retention pass after it was written, under a running test
    // (a partition read later started at its new log start: nothing to process, nothing ever committed). Topics
    // that set their own retention.ms (windowed changelogs, reply topics) keep it.
    'log.retention.ms': -1,
  }
  Object.assign(props, extra)
  const lines = Object.entries(props).map(([key, value]) => `${key}=${value}`)
  return `# Written by scripts/kafka (Faustus). Node ${node.id} of ${nodes.length}.\n${lines.join('\n')}\n`
}
