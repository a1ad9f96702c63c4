/**
 * Table lookups routed across languages: a Faustus worker and a Python Faust worker (py/web_app.py, web server on)
 * in one group, each announcing its web url in the group protocol. Faust's built-in `/table/{name}/{key}/` view on
 * the Python worker routes a lookup of a key the Faustus worker owns to it, and the Faustus worker routes a
 * lookup of a key the Python worker owns back.
 */
import { afterEach, describe, expect, inject, test } from 'vitest'
import { type App, webServerOf } from '../../src/index.ts'
import { partitionForKey } from '../../src/transport/murmur2.ts'
import { waitFor } from '../helpers.ts'
import { freePort } from '../web/helpers.ts'
import { createTopics, kafkaApp, kafkaTransport, pythonAppEnv, uniquePrefix } from './kafka.ts'
import { faustPython, PythonProcess } from './python.ts'

const PARTITIONS = 4
const KEYS = Array.from({ length: 16 }, (_, i) => `k${i}`)
const EACH = 5

describe('web table routes across languages (Python Faust <-> Faustus)', () => {
  const bootstrap = inject('kafkaBootstrap')
  const faust = faustPython()
  const cleanup: (() => Promise<unknown>)[] = []

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  }, 120_000)

  // Twice: the first member to join leads the group, so each side's assignor once hands out the urls.
  test.each(['faustus', 'python'] as const)(
    'a Python worker routes a table lookup to the Faustus worker owning the key, and back (%s leads)',
    {
      timeout: 300_000,
    },
    async (leader) => {
      const P = uniquePrefix('web')
      await createTopics(bootstrap, [{ name: `${P}-words`, partitions: PARTITIONS }])

      const app: App = kafkaApp(P, bootstrap, { topicPartitions: PARTITIONS, webEnabled: true, webPort: 0 })
      const words = app.topic(`${P}-words`, { keyType: 'json', valueType: 'json' })
      const counts = app.table<string, number>('counts', { default: () => 0, standbys: 0 })
      app.agent(
        words,
        async (stream) => {
          for await (const event of stream.events())
            counts.set(event.key as string, counts.get(event.key as string)! + 1)
        },
        { name: 'web_app.count' },
      )
      const port = await freePort()
      const pythonUrl = `http://127.0.0.1:${port}`
      let py!: PythonProcess
      const startPython = async () => {
        py = new PythonProcess(
          faust.path,
          'web_app.py',
          ['worker'],
          pythonAppEnv(P, bootstrap, {
            FAUST_PREFIX: P,
            FAUST_PARTITIONS: String(PARTITIONS),
            FAUST_WEB_PORT: String(port),
          }),
        )
        cleanup.push(async () => expect(await py.stop()).toBe(0))
        await py.waitFor(/^PY_STARTED /, 120_000)
      }
      if (leader === 'python') {
        await startPython()
        // Alone in the group, Faust owns every key and answers it (the table's default for an absent one; 503 until it
        // has joined).
        await waitFor(
          async () => (await fetch(`${pythonUrl}/table/counts/absent/`).catch(() => undefined))?.status === 200,
          120_000,
          'the Python worker alone in the group',
          { intervalMs: 50 },
        )
      }
      await app.start()
      cleanup.push(() => app.stop())
      const faustusUrl = webServerOf(app)!.url
      if (leader === 'faustus') await startPython()

      // Both in the group, two partitions each, each knowing the other's url.
      const state = () => webServerOf(app)!.state
      await waitFor(
        () => {
          const mine = state().actives.filter((tp) => tp.topic === `${P}-words`)
          return state().ready && mine.length === 2 && state().members().includes(pythonUrl)
        },
        120_000,
        'the Faustus worker sharing the group with the Python worker',
        { intervalMs: 50 },
      )
      const faustusPartitions = new Set(
        state()
          .actives.filter((tp) => tp.topic === `${P}-words`)
          .map((tp) => tp.partition),
      )
      const partitionOf = (key: string) => partitionForKey(Buffer.from(JSON.stringify(key)), PARTITIONS)
      const faustusKeys = KEYS.filter((k) => faustusPartitions.has(partitionOf(k)))
      const pythonKeys = KEYS.filter((k) => !faustusPartitions.has(partitionOf(k)))
      expect(faustusKeys.length).toBeGreaterThan(0)
      expect(pythonKeys.length).toBeGreaterThan(0)

      // Faust loses records that arrive while it still recovers a partition without a committed offset: wait that out.
      await py.resumed()

      const transport = kafkaTransport(bootstrap)
      await transport.connect()
      cleanup.push(() => transport.close())
      const producer = transport.createProducer()
      cleanup.push(() => producer.close())
      await producer.send(
        KEYS.flatMap((key) =>
          Array.from({ length: EACH }, (_, i) => ({
            topic: `${P}-words`,
            key: Buffer.from(JSON.stringify(key)),
            value: Buffer.from(JSON.stringify({ i })),
          })),
        ),
      )

      const lookup = async (base: string, key: string) => {
        const response = await fetch(`${base}/table/counts/${key}/`)
        return { status: response.status, body: await response.text() }
      }
      // Keys the Faustus worker owns, asked of the Python worker: Faust routes them to Faustus.
      for (const key of faustusKeys) {
        const answer = await waitFor(
          async () => {
            const r = await lookup(pythonUrl, key)
            return r.status === 200 && JSON.parse(r.body) === EACH ? r : undefined
          },
          60_000,
          `${key} from the Python worker`,
          { intervalMs: 50 },
        )
        expect(JSON.parse(answer.body)).toBe(EACH)
        // Faustus holds it (the Python worker has no standby of it: table_standby_replicas=0).
        expect(counts.get(key)).toBe(EACH)
      }
      // Keys the Python worker owns, asked of the Faustus worker: routed to Python.
      for (const key of pythonKeys) {
        expect(counts.has(key)).toBe(false)
        const answer = await waitFor(
          async () => {
            const r = await lookup(faustusUrl, key)
            return r.status === 200 && JSON.parse(r.body) === EACH ? r : undefined
          },
          60_000,
          `${key} from the Faustus worker`,
          { intervalMs: 50 },
        )
        expect(JSON.parse(answer.body)).toBe(EACH)
      }
    },
  )
})
