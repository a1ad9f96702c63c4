// Faults that retrying cannot fix are reported at once with their own codes; a closed consumer refuses work at
// once; static membership gives a restarted member its partitions back without a rebalance.
import { afterAll, describe, expect, inject, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import type { KafkaTransportOptions } from '../../src/transport/kafka/options.ts'
import { Recorder, uniqueName } from '../contracts/transport-helpers.ts'
import { waitFor } from '../helpers.ts'
import { quietLogger } from './kafka-helpers.ts'

const bootstrap = inject('kafkaBootstrap')
const wait = { timeoutMs: 60_000 }
const transports: KafkaTransport[] = []

function kafka(extra: Partial<KafkaTransportOptions> = {}): KafkaTransport {
  const transport = new KafkaTransport({
    url: `kafka://${bootstrap}`,
    heartbeatIntervalMs: 300,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    logger: quietLogger(),
    ...extra,
  })
  transports.push(transport)
  return transport
}

afterAll(async () => {
  for (const transport of transports) await transport.close()
})

describe('kafka faults that retrying cannot fix', () => {
  it('reports an unresolvable broker host as FST_BROKER_HOST_UNKNOWN, without waiting for the deadline', async () => {
    const error = await kafka({ url: 'kafka://no-such-host.invalid:9092', connectTimeoutMs: 600_000 })
      .connect()
      .catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_BROKER_HOST_UNKNOWN')).toBe(true)
    expect((error as Error).message).toContain('no-such-host.invalid')
  })

  it('reports SASL against a listener without it as FST_BROKER_SASL_MECHANISM, without waiting for the deadline', async () => {
    const error = await kafka({
      connectTimeoutMs: 600_000,
      sasl: { mechanism: 'SCRAM-SHA-256', username: 'u', password: 'p' },
    })
      .connect()
      .catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_BROKER_SASL_MECHANISM')).toBe(true)
  })

  it('refuses a commit on a closed consumer at once with FST_TRANSPORT_CLOSED', async () => {
    const transport = kafka()
    const topic = uniqueName('fc-closed')
    await transport.ensureTopics([{ name: topic, partitions: 1 }])
    const consumer = transport.createConsumer({ groupId: uniqueName('g'), topics: [topic], handler: new Recorder() })
    await consumer.start()
    await consumer.close()
    const error = await consumer.commit([{ topic, partition: 0, offset: 1 }]).catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_TRANSPORT_CLOSED')).toBe(true)
  })
})

describe('static membership', () => {
  it('a member restarted with the same group instance id gets its partitions back without a rebalance', async () => {
    const topic = uniqueName('fc-static')
    const groupId = uniqueName('g')
    const setup = kafka()
    await setup.ensureTopics([{ name: topic, partitions: 4 }])
    const member = (instance: string, handler: Recorder) =>
      kafka({ groupInstanceId: `${groupId}-${instance}` }).createConsumer({ groupId, topics: [topic], handler })
    const a = new Recorder()
    const b = new Recorder()
    const consumerA = member('a', a)
    await consumerA.start()
    const consumerB = member('b', b)
    await consumerB.start()
    await waitFor(() => a.assigned.at(-1)?.actives.length === 2, wait.timeoutMs, 'a holds 2 of 4 partitions')
    const revokesOfA = a.revoked.length
    const ofB = b.assigned
      .at(-1)!
      .actives.map((tp) => tp.partition)
      .sort()
    // A static member closing does not leave the group: its return is not a new member.
    await consumerB.close()
    const b2 = new Recorder()
    const consumerB2 = member('b', b2)
    await consumerB2.start()
    expect(
      b2.assigned
        .at(-1)!
        .actives.map((tp) => tp.partition)
        .sort(),
    ).toEqual(ofB)
    expect(a.revoked.length).toBe(revokesOfA)
    await consumerB2.close()
    await consumerA.close()
  })
})
