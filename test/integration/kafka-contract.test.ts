/** The transport contract on the Kafka driver, against the broker of the integration global setup. */
import { inject } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { transportContract } from '../contracts/transport.ts'
import { quietLogger } from './kafka-helpers.ts'

transportContract('kafka', async () => ({
  transport: new KafkaTransport({
    url: `kafka://${inject('kafkaBootstrap')}`,
    clientId: 'faustus-contract',
    // Fast rebalances: members notice a join or leave within a heartbeat.
    heartbeatIntervalMs: 300,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 20_000,
    logger: quietLogger(),
  }),
}))
