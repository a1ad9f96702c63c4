/**
 * Tables across languages on the real broker: a plain and a windowed table written by a Python Faust worker
 * (py/tables_app.py) are recovered by a Faustus worker of the same app with identical contents, and the reverse.
 * Also: the group_by repartition topic Python creates has the name Faustus derives for the same agent.
 */
import { dirname, join } from 'node:path'
import { afterEach, beforeAll, describe, expect, inject, test } from 'vitest'
import { type App, int, record, type Stream, str } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { createTopics, kafkaApp, kafkaTransport, pythonAppEnv, uniquePrefix } from './kafka.ts'
import { faustPython, PythonProcess } from './python.ts'

const skip = process.env.FAUSTUS_TEST_FAUST_SKIP
const Word = record('interop.Word', { word: str(), n: int() })
const Click = record('interop.Click', { user: str(), page: str() })
const PARTITIONS = 4
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'eta', 'theta', 'iota', 'kappa', 'lambda', 'mu']
const EVENTS = 60
const WEEK = 7 * 86_400_000

type Contents = { counts: [string, number][]; views: [string, number, number, number][] }

/** The same topology as tables_app.py: agent names as Faust gives them (`module.function`). */
function faustusTables(app: App, P: string, onEvent?: () => void) {
  const counts = app.table<string, number>('counts', { default: () => 0, standbys: 0 })
  const views = app
    .table<string, number>('views', { default: () => 0, standbys: 0 })
    .tumbling(60_000, { expires: WEEK })
  app.agent(
    app.topic(`${P}-words`, { valueType: Word }),
    async (stream: Stream<InstanceType<typeof Word>>) => {
      for await (const w of stream) {
        counts.update(w.word, (n) => n + w.n)
        views.update(w.word, (n) => n + w.n)
        onEvent?.()
      }
    },
    { name: 'tables_app.count_words' },
  )
  const regroup = app.agent(
    app.topic(`${P}-clicks`, { valueType: Click }),
    async (stream: Stream<InstanceType<typeof Click>>) => {
      for await (const _ of stream.groupBy(Click.fields.user)) {
        // re-keyed by user
      }
    },
    { name: 'tables_app.regroup' },
  )
  const contents = (): Contents => ({
    counts: [...counts].map(([k, v]) => [k, v] as [string, number]).sort(compare),
    views: [...views.windows()]
      .map(([k, range, v]) => [k, range.key[0], range.key[1], v] as [string, number, number, number])
      .sort(compare),
  })
  return { counts, views, regroup, contents }
}

function compare(a: unknown[], b: unknown[]): number {
  const x = JSON.stringify(a)
  const y = JSON.stringify(b)
  return x < y ? -1 : x > y ? 1 : 0
}

describe.skipIf(skip !== undefined)('tables across languages (Python Faust <-> Faustus)', () => {
  const bootstrap = inject('kafkaBootstrap')
  const faust = faustPython()
  // The `faust` command of the venv, run by its python (agent names are then `tables_app.<function>`).
  let faustCli = ''
  const cleanup: (() => Promise<unknown>)[] = []

  beforeAll(() => {
    faustCli = join(dirname(faust.path), 'faust')
  })

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  }, 120_000)

  async function setUp(P: string) {
    await createTopics(bootstrap, [
      { name: `${P}-words`, partitions: PARTITIONS },
      { name: `${P}-clicks`, partitions: PARTITIONS },
    ])
    // Keyed words with event times over three minutes, so the windowed table holds several windows per word.
    const producer = kafkaApp(`${P}-producer`, bootstrap)
    await producer.start({ client: true })
    cleanup.push(() => producer.stop())
    const words = producer.topic(`${P}-words`, { valueType: Word })
    const base = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000
    for (let i = 0; i < EVENTS; i++) {
      const word = WORDS[i % WORDS.length]
      await words.send({ key: word, value: new Word({ word, n: i + 1 }), timestamp: base + i * 3_000 })
    }
    await producer
      .topic(`${P}-clicks`, { valueType: Click })
      .send({ key: 'x', value: new Click({ user: 'u1', page: '/' }) })
  }

  function startPython(P: string, mode: 'write' | 'read'): PythonProcess {
    const py = new PythonProcess(
      faust.path,
      faustCli,
      ['-A', 'tables_app', 'worker', '-l', 'info'],
      pythonAppEnv(P, bootstrap, {
        FAUST_PREFIX: P,
        FAUST_PARTITIONS: String(PARTITIONS),
        TABLES_MODE: mode,
        TABLES_EVENTS: String(EVENTS),
      }),
    )
    cleanup.push(() => py.stop())
    return py
  }

  const pyContents = (line: string): Contents => JSON.parse(line.slice('PY_TABLES '.length))

  test('Python writes, Faustus recovers the same plain and windowed tables; group_by topic names match', {
    timeout: 300_000,
  }, async () => {
    const P = uniquePrefix('tables-py')
    await setUp(P)
    const py = startPython(P, 'write')
    const written = pyContents(await py.waitFor(/^PY_TABLES /, 120_000))
    expect(written.counts).toHaveLength(WORDS.length)
    expect(written.views.length).toBeGreaterThan(WORDS.length)
    await py.waitFor(/^PY_CLICK /, 60_000)
    await py.stop()

    // The repartition topic Python created, and the one Faustus derives for the same agent and field.
    const expectedRepartition = `tables_app.regroup-${P}-clicks-Click.user-repartition`
    const transport = kafkaTransport(bootstrap)
    await transport.connect()
    const existing = await transport.describeTopics([
      expectedRepartition,
      `${P}-counts-changelog`,
      `${P}-views-changelog`,
    ])
    await transport.close()
    expect([...existing.keys()].sort()).toEqual(
      [expectedRepartition, `${P}-counts-changelog`, `${P}-views-changelog`].sort(),
    )

    const worker = kafkaApp(P, bootstrap, { topicPartitions: PARTITIONS })
    const tables = faustusTables(worker, P)
    await worker.start()
    cleanup.push(() => worker.stop())
    expect(worker.topics.has(expectedRepartition)).toBe(true)
    const recovered = await waitFor(
      () => {
        const c = tables.contents()
        return c.counts.length === written.counts.length && c.views.length === written.views.length ? c : undefined
      },
      60_000,
      'Faustus to recover both tables',
      { intervalMs: 50 },
    )
    expect(recovered).toEqual(written)
  })

  test('Faustus writes, Python recovers the same plain and windowed tables', { timeout: 300_000 }, async () => {
    const P = uniquePrefix('tables-ts')
    await setUp(P)
    let seen = 0
    const worker = kafkaApp(P, bootstrap, { topicPartitions: PARTITIONS })
    const tables = faustusTables(worker, P, () => seen++)
    await worker.start()
    cleanup.push(() => worker.stop())
    await waitFor(() => seen >= EVENTS || undefined, 60_000, 'Faustus to process the words', { intervalMs: 50 })
    const written = tables.contents()
    expect(written.counts).toHaveLength(WORDS.length)
    await worker.stop()

    const py = startPython(P, 'read')
    const recovered = pyContents(await py.waitFor(/^PY_TABLES /, 120_000))
    expect(recovered).toEqual(written)
  })
})

if (skip !== undefined) {
  describe('tables across languages', () => {
    test.skip(`skipped: ${skip}`, () => {})
  })
}
