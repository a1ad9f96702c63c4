// The live dashboard in a real browser (Debian's chromium driven by playwright-core): two worker processes in one
// group; the page shows both workers' partitions, the lag of held records growing as records are produced, and the
// recovery of a joining worker while it runs. Saves docs/dashboard.png.
import { randomUUID } from 'node:crypto'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { type Browser, chromium } from 'playwright-core'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { KafkaTransport } from '../../src/transport/kafka/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import type { ProduceRecord } from '../../src/transport/types.ts'
import { waitFor } from '../helpers.ts'
import { metricValue, parseMetrics } from '../web/helpers.ts'
import { startWebWorker, stopWebWorker, type WebWorker, waitReady } from './web-workers.ts'

const run = randomUUID().slice(0, 8)
const topic = `web-in-${run}`
const changelog = `web-${run}-counts-changelog`
const PARTITIONS = 4
const CHROMIUM = process.env.FAUSTUS_CHROMIUM ?? '/usr/bin/chromium'
const workers: WebWorker[] = []
let browser: Browser | undefined

afterAll(async () => {
  await browser?.close()
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode === null) await stopWebWorker(worker)
  }
})

describe('the dashboard in chromium', () => {
  it('shows both workers, lag as records are produced, and a recovery in progress', async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} (scripts/install-deps.sh installs it)`).toBe(true)
    const kafka = inject('kafkaBootstrap')
    const transport = new KafkaTransport({ url: `kafka://${kafka}` })
    await transport.connect()
    await transport.ensureTopics([{ name: topic, partitions: PARTITIONS, replicas: 1 }])
    const producer = transport.createProducer()
    const send = (key: string, count: number, value: object = {}) =>
      producer.send(
        Array.from({ length: count }, (_, i) => ({
          topic,
          key: Buffer.from(JSON.stringify(key)),
          value: Buffer.from(JSON.stringify({ i, ...value })),
        })),
      )

    const a = await startWebWorker('a', run, kafka)
    workers.push(a)
    await waitReady(a)
    const b = await startWebWorker('b', run, kafka)
    workers.push(b)
    await waitReady(b)

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    await page.goto(a.url)

    // The assignment grid: the topic's four partitions, owned by both workers.
    const cells = page.locator(`[data-testid=partition][data-topic="${topic}"]`)
    await waitFor(
      async () => {
        const owners = await cells.evaluateAll((els) => els.map((el) => el.getAttribute('data-owner')))
        return owners.length === PARTITIONS && new Set(owners).size === 2 ? owners : undefined
      },
      60_000,
      'both workers in the assignment grid',
      { retryErrors: true, intervalMs: 50 },
    )
    const owners = await cells.evaluateAll((els) => els.map((el) => el.getAttribute('data-owner')))
    expect(new Set(owners)).toEqual(new Set([a.url, b.url]))
    await expect(page.locator('[data-testid=worker]').count()).resolves.toBe(2)

    // Some traffic, one bad record, then held records: the lag row of their partition follows what is produced.
    for (let i = 0; i < 12; i++) await send(`w${i}`, 20)
    await send('w0', 1, { fail: true })
    // All of it committed before the gates close: a record still unprocessed would be held too and add to the lag.
    await waitFor(
      async () => {
        let committed = 0
        for (const worker of [a, b]) {
          const samples = parseMetrics(await (await fetch(`${worker.url}/metrics`)).text())
          committed += metricValue(samples, 'faustus_consumer_committed_offset', { topic })
        }
        return committed === 12 * 20 + 1 ? true : undefined
      },
      60_000,
      'the records before the hold committed',
      { retryErrors: true, intervalMs: 50 },
    )
    for (const worker of [a, b]) await fetch(`${worker.url}/hold`, { method: 'POST' })
    const hot = 'hot'
    const lagRow = page.locator(
      `[data-testid=lag-row][data-topic="${topic}"][data-partition="${partitionForKey(Buffer.from('"hot"'), PARTITIONS)}"]`,
    )
    await send(hot, 10)
    await lagRow.and(page.locator('[data-lag="10"]')).waitFor({ timeout: 60_000 })
    await send(hot, 15)
    await lagRow.and(page.locator('[data-lag="25"]')).waitFor({ timeout: 60_000 })
    for (const worker of [a, b]) await fetch(`${worker.url}/release`, { method: 'POST' })
    await lagRow.and(page.locator('[data-lag="0"]')).waitFor({ timeout: 60_000 })
    await page.locator('[data-testid=errors]').getByText('RangeError').waitFor({ timeout: 60_000 })

    // A large changelog, then B leaves and a new worker C joins: C recovers its partitions from the changelog,
    // and its dashboard shows the recovery running.
    const RECOVERY_RECORDS = 600_000
    for (let start = 0; start < RECOVERY_RECORDS; start += 20_000) {
      const batch: ProduceRecord[] = []
      for (let i = start; i < start + 20_000; i++) {
        batch.push({
          topic: changelog,
          partition: i % PARTITIONS,
          key: Buffer.from(JSON.stringify(`r${i}`)),
          value: Buffer.from('1'),
        })
      }
      await producer.send(batch)
    }
    expect(await stopWebWorker(b)).toBe(0)
    await waitReady(a)
    const c = await startWebWorker('c', run, kafka)
    workers.push(c)
    const pageC = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    await pageC.goto(c.url)
    await pageC.locator('[data-testid=recovery-row][data-finished=false]').first().waitFor({ timeout: 120_000 })
    await pageC.locator('[data-testid=status]').getByText('recovering').waitFor({ timeout: 10_000 })
    // Then it finishes, and the worker is ready.
    await pageC.locator('[data-testid=status]').getByText('ready').waitFor({ timeout: 180_000 })
    await expect(pageC.locator('[data-testid=recovery-row][data-finished=false]').count()).resolves.toBe(0)

    // Key lookup from the page, for a key the other worker may own (routed).
    await page.selectOption('#lookup-table', 'counts')
    await page.fill('#lookup-key', 'w3')
    await page.click('#lookup button')
    await page.locator('[data-testid=lookup-result]').getByText('200 20').waitFor({ timeout: 30_000 })

    // The screenshot for the README: worker A's view of the group after the recovery, with some traffic.
    await send('w1', 40)
    await page.reload()
    await waitFor(
      async () => {
        const n = await page.locator(`[data-testid=partition][data-topic="${topic}"]`).count()
        return n === PARTITIONS ? true : undefined
      },
      60_000,
      'the grid after reload',
      { retryErrors: true, intervalMs: 50 },
    )
    await page.locator('[data-testid=recovery-row]').first().waitFor({ timeout: 30_000 })
    await page.screenshot({ path: join(import.meta.dirname, '..', '..', 'docs', 'dashboard.png'), fullPage: true })

    await producer.close()
    await transport.close()
  })
})
