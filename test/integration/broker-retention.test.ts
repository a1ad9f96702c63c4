// The test broker keeps records whatever their event time. Tests produce fixed event times (2023, for determinism);
// under Kafka's default time retention (7 days) the broker deleted them at its next retention pass, under a running
// test: the join kill test's survivor then started partitions at their new log start and never committed them.
import { randomBytes } from 'node:crypto'
import { Admin, ConfigResourceTypes } from '@platformatic/kafka'
import { afterAll, describe, expect, inject, it } from 'vitest'

const brokers = inject('kafkaBootstrap').split(',')
const topic = `retention-test-${randomBytes(4).toString('hex')}`

describe('test broker retention', () => {
  const admin = new Admin({ clientId: 'faustus-retention-test', bootstrapBrokers: brokers })

  afterAll(async () => {
    await admin.deleteTopics({ topics: [topic] })
    await admin.close()
  })

  it('gives a topic without its own retention.ms no time retention', async () => {
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
    const [description] = await admin.describeConfigs({
      resources: [
        { resourceType: ConfigResourceTypes.TOPIC, resourceName: topic, configurationKeys: ['retention.ms'] },
      ],
    })
    expect(description.configs.find((config) => config.name === 'retention.ms')?.value).toBe('-1')
  })
})
