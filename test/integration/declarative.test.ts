// The seed 002 manifests (examples/manifests/loyalty) run on a real Kafka broker, their outputs asserted.
import { randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, expect, inject, it } from 'vitest'
import { createAppFromManifests } from '../../src/declarative/index.ts'
import type { App } from '../../src/index.ts'
import { collector, manifestDir } from '../declarative/helpers.ts'
import { waitFor } from '../helpers.ts'

const broker = `kafka://${inject('kafkaBootstrap')}`
const suffix = randomBytes(4).toString('hex')
const EXAMPLES = 'examples/manifests/loyalty'
const TOPICS = ['new-customers', 'customers', 'emails', 'offers', 'offer-stats']
const settings = { broker, logLevel: (process.env.FAUSTUS_TEST_LOG as never) ?? 'silent', topicPartitions: 4 }

/** The example manifests with topic and app names made unique to this run. */
function uniqueCopy(): string {
  const files: Record<string, string> = {}
  for (const name of readdirSync(EXAMPLES)) {
    let text = readFileSync(join(EXAMPLES, name), 'utf8')
    for (const topic of TOPICS) text = text.replace(new RegExp(`\\b${topic}\\b(?!-)`, 'g'), `${topic}-${suffix}`)
    files[name] = text.replaceAll('loyalty-app', `loyalty-app-${suffix}`)
  }
  return manifestDir(files)
}

const running: App[] = []
afterAll(async () => {
  await Promise.all(running.map((app) => app.stop()))
})

it('seed 002 manifests run on Kafka: emails and offers as declared', async () => {
  const { app } = await createAppFromManifests(uniqueCopy(), settings)
  const client = collector(broker, [`emails-${suffix}`, `offers-${suffix}`], `collector-${suffix}`)
  running.push(app, client.app)
  await app.start()
  await client.app.start()
  const customers = [
    { id: 'c1', name: 'Ann', email: 'ann@example.com', points: 7000, marketingOptIn: true },
    { id: 'c2', name: 'Bob', email: 'none', points: 1500, marketingOptIn: true },
    { id: 'c3', name: 'Cid', email: 'cid@example.com', points: 20, marketingOptIn: false },
  ]
  for (const customer of customers) {
    await client.app.topic(`new-customers-${suffix}`).send({ key: customer.id, value: customer })
    await client.app.topic(`customers-${suffix}`).send({ key: customer.id, value: customer })
  }
  const emails = client.received[`emails-${suffix}`]
  const offers = client.received[`offers-${suffix}`]
  await waitFor(() => emails.length === 2 && offers.length === 2, 30_000, 'emails and offers')
  expect(emails.map((e) => e.key).sort()).toEqual(['c1', 'c3'])
  expect(offers.map((o) => [o.key, (o.value as { tier: string }).tier]).sort()).toEqual([
    ['c1', 'gold'],
    ['c2', 'silver'],
  ])
})
