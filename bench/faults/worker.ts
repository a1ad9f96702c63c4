// A worker process of the fault suite: relays every input record to the output topic (tagged with this worker's name,
// the source partition and when it was relayed) and counts records per key in a table. Settings come from the
// environment (FAULT_*); stops gracefully on SIGTERM; prints `ready` once started.
import { App, int, optional, record, type Stream, str } from '../../src/index.ts'

// FAULT_RECORD=1: the input is a Faust record topic (validated, namespaced), for the bad-input scenario.
const Item = record('fault.Item', { id: int(), key: str(), pad: optional(str()), copyPad: optional(int()) })

const env = process.env
const run = env.FAULT_RUN!
const name = env.FAULT_NAME ?? `w-${process.pid}`
const partitions = Number(env.FAULT_PARTITIONS ?? 6)
const app = new App(`fault-${run}`, {
  broker: `kafka://${env.FAULT_BROKER}`,
  logLevel: (env.FAULT_LOG_LEVEL as never) ?? 'warn',
  topicPartitions: partitions,
  topicReplicationFactor: Number(env.FAULT_REPLICAS ?? 1),
  brokerCommitIntervalMs: 500,
  brokerSessionTimeoutMs: Number(env.FAULT_SESSION_MS ?? 10_000),
  brokerHeartbeatIntervalMs: Number(env.FAULT_HEARTBEAT_MS ?? 1_000),
  brokerRebalanceTimeoutMs: Number(env.FAULT_REBALANCE_MS ?? 20_000),
  ...(env.FAULT_INSTANCE_ID ? { brokerGroupInstanceId: env.FAULT_INSTANCE_ID } : {}),
  processingGuarantee: (env.FAULT_GUARANTEE as 'at_least_once' | 'exactly_once') ?? 'at_least_once',
  ...(env.FAULT_DATA_DIR ? { store: `lmdb://${env.FAULT_DATA_DIR}` } : {}),
  ...(env.FAULT_DEAD_LETTER ? { deadLetterTopic: env.FAULT_DEAD_LETTER } : {}),
})
const input = app.topic(`f-in-${run}`, {
  keyType: 'json',
  valueType: env.FAULT_RECORD === '1' ? Item : 'json',
  partitions,
})
const output = app.topic(`f-out-${run}`, { keyType: 'json', valueType: 'json', partitions })
const counts = app.table<string, number>('counts', { default: () => 0, partitions })

interface In {
  id: number
  key: string
  pad?: string
  copyPad?: number
}

app.agent(input, async function relay(stream: Stream<In>) {
  for await (const event of stream.events()) {
    // A tombstone on the record topic (the bad-input scenario): nothing to relay or count.
    if (event.value === null || event.value === undefined) continue
    counts.update(event.value.key, (n) => n + 1)
    // As a sink does: acknowledged by the next checkpoint, which commits nothing past a lost output.
    const room = output.forward({
      key: event.value.key,
      value: {
        id: event.value.id,
        worker: name,
        partition: event.partition,
        relayedAt: Date.now(),
        // An output too large for the output topic, on request (the bad-input scenario's oversized output).
        ...(event.value.copyPad ? { pad: event.value.pad } : {}),
      },
    })
    if (room) await room
  }
})

process.on('SIGTERM', () => {
  void app.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  )
})
await app.start()
process.stdout.write('ready\n')
