import { describe, expect, it } from 'vitest'
import { createAppFromManifests } from '../../src/declarative/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import { stopAfterEach, waitFor } from '../helpers.ts'
import { collector, memoryBroker, quiet, sorted } from './helpers.ts'

const CUSTOMERS = [
  { id: 'c1', name: 'Ann', email: 'ann@example.com', points: 7000, marketingOptIn: true },
  { id: 'c2', name: 'Bob', email: 'not an address', points: 1500, marketingOptIn: true },
  { id: 'c3', name: 'Cid', email: 'cid@example.com', points: 20, marketingOptIn: false },
  { id: 'c4', name: 'Dee', email: 'dee@example.com', points: 6000, marketingOptIn: true },
  { id: 'c5', name: 'Eve', points: 300, marketingOptIn: true },
]

const running = stopAfterEach()

describe('seed 002 from YAML alone (examples/manifests/loyalty)', () => {
  it('welcome-email-sender and offer-generator produce the expected emails and offers', async () => {
    const broker = memoryBroker()
    const { app, applied } = await createAppFromManifests('examples/manifests/loyalty', { ...quiet, broker })
    expect(app.id).toBe('loyalty-app')
    expect([...app.agents.keys()].sort()).toEqual(['offer-generator', 'welcome-email-sender'])
    expect(applied.tables).toEqual(['offers-per-tier'])
    expect(app.jobs.map((job) => job.name)).toEqual(['offer-stats'])
    const client = collector(broker, ['emails', 'offers'])
    running.push(app, client.app)
    await app.start()
    await client.app.start()
    const customers = client.app.topic('customers')
    const newCustomers = client.app.topic('new-customers')
    for (const customer of CUSTOMERS) {
      await newCustomers.send({ key: customer.id, value: customer })
      await customers.send({ key: customer.id, value: customer })
    }
    const { emails, offers } = client.received
    await waitFor(() => emails.length === 3 && offers.length === 4, 5000, 'emails and offers')

    expect(sorted(emails)).toEqual(
      ['c1', 'c3', 'c4'].map((id) => {
        const customer = CUSTOMERS.find((c) => c.id === id)!
        return {
          key: id,
          partition: partitionForKey(Buffer.from(id), 4),
          headers: {},
          value: {
            to: customer.email,
            subject: `Welcome to Loyalty, ${customer.name}!`,
            template: 'welcome',
            customerId: id,
          },
        }
      }),
    )
    // Offers are keyed by customer; each tier's offers are numbered by the table, in the order they arrived.
    expect(sorted(offers.map(({ key, value }) => ({ key, tier: (value as { tier: string }).tier })))).toEqual([
      { key: 'c1', tier: 'gold' },
      { key: 'c2', tier: 'silver' },
      { key: 'c4', tier: 'gold' },
      { key: 'c5', tier: 'bronze' },
    ])
    for (const offer of offers) expect(offer.partition).toBe(partitionForKey(Buffer.from(offer.key!), 4))
    const numbers = (tier: string) =>
      offers
        .map((o) => o.value as { tier: string; offerNumber: number; offer: string })
        .filter((v) => v.tier === tier)
        .map((v) => v.offerNumber)
        .sort()
    expect(numbers('gold')).toEqual([1, 2])
    expect(numbers('silver')).toEqual([1])
    expect(offers.find((o) => o.key === 'c2')!.value).toMatchObject({ offer: '10% off your next order' })
    const counts = app.tables.get('offers-per-tier') as unknown as { get(key: string): number }
    expect([counts.get('gold'), counts.get('silver'), counts.get('bronze')]).toEqual([2, 1, 1])
  })
})
