/**
 * One consumer group, two languages: a Faustus worker and a Python Faust worker (py/group_worker.py) share the app
 * id, so the group. Each gets a share of the 4 partitions of a keyed topic and processes only its own; when the
 * Python worker stops, the Faustus worker takes every partition and no acked event is lost. Run twice: with the
 * Faustus worker as group leader (its assignor answers the Python member) and with the Python worker as leader.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { afterEach, describe, expect, inject, test } from 'vitest'
import type { RebalanceMessage } from '../../src/diagnostics.ts'
import { waitFor } from '../helpers.ts'
import { createTopics, kafkaApp, pythonAppEnv, uniquePrefix } from './kafka.ts'
import { Keyed } from './models.ts'
import { faustPython, PythonProcess } from './python.ts'

const skip = process.env.FAUSTUS_TEST_FAUST_SKIP
const PARTITIONS = 4
const KEYS = Array.from({ length: 16 }, (_, i) => `key-${i}`)

interface Seen {
  key: string
  seq: number
  partition: number
}

describe.skipIf(skip !== undefined)('a Faustus and a Python Faust worker in one consumer group', () => {
  const bootstrap = inject('kafkaBootstrap')
  const faust = faustPython()
  const cleanup: (() => Promise<unknown>)[] = []

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn()
  }, 120_000)

  test.each(['faustus', 'python'] as const)(
    'leader %s: both get partitions, each processes its own, Faustus takes over without losing acked events',
    async (first) => {
      const P = uniquePrefix(`group-${first}`)
      const topic = `${P}-events`
      await createTopics(bootstrap, [{ name: topic, partitions: PARTITIONS }])

      // The Faustus worker: records what it processes and its assignment over time.
      const worker = kafkaApp(P, bootstrap, { topicPartitions: PARTITIONS })
      // The same table on both sides, with a standby replica: changelog standbys travel in the assignment.
      const seenTable = worker.table<string, number>('seen', { default: () => 0, standbys: 1 })
      const changelog = `${P}-seen-changelog`
      let tsStandbys: number[] = []
      const tsSeen: Seen[] = []
      const foreign: number[] = []
      let tsActives: number[] = []
      const events = worker.topic(topic, { valueType: Keyed })
      worker.agent(
        events,
        async (stream) => {
          for await (const event of stream.events()) {
            // Each worker processes only partitions it holds at the time.
            if (!tsActives.includes(event.partition!)) foreign.push(event.partition!)
            seenTable.update(event.value.key, (n) => n + 1)
            tsSeen.push({ key: String(event.key), seq: event.value.seq, partition: event.partition! })
          }
        },
        { name: 'ts_events' },
      )
      // The assignment as the worker publishes it at the end of each rebalance.
      const onRebalance = (message: unknown) => {
        const { app, phase, actives = [], standbys = [] } = message as RebalanceMessage
        if (app !== worker.id || phase !== 'end') return
        tsActives = actives.filter((tp) => tp.topic === topic).map((tp) => tp.partition)
        tsStandbys = standbys.filter((tp) => tp.topic === changelog).map((tp) => tp.partition)
      }
      subscribe('faustus:rebalance', onRebalance)
      cleanup.push(async () => unsubscribe('faustus:rebalance', onRebalance))
      const startWorker = async () => {
        await worker.start()
        cleanup.push(() => worker.stop())
      }
      // The Python worker starts when `startPython` runs (so the first member is the group leader).
      let py!: PythonProcess
      const startPython = async () => {
        py = new PythonProcess(
          faust.path,
          'group_worker.py',
          ['worker'],
          pythonAppEnv(P, bootstrap, { FAUST_PREFIX: P, FAUST_PARTITIONS: String(PARTITIONS) }),
        )
        cleanup.push(() => py.stop())
        await py.waitFor(/^PY_ASSIGNED /, 90_000)
      }
      const pyAssigned = (name = topic) => {
        const all = py.events<{ partitions: [string, number][] }>('PY_ASSIGNED')
        const last = all[all.length - 1]?.partitions ?? []
        return last.filter(([t]) => t === name).map(([, p]) => p)
      }

      if (first === 'faustus') {
        await startWorker()
        await startPython()
      } else {
        await startPython()
        await startWorker()
      }
      // Both members settled on a split of the 4 partitions.
      await waitFor(
        () => {
          const py = pyAssigned()
          return (tsActives.length > 0 && py.length > 0 && tsActives.length + py.length === PARTITIONS) || undefined
        },
        60_000,
        'both workers to hold partitions',
        { intervalMs: 50 },
      )
      expect([...tsActives, ...pyAssigned()].sort()).toEqual([0, 1, 2, 3])
      // Standbys: each holds the other's changelog partitions too (Python's list is actives + standbys).
      await waitFor(() => tsStandbys.length > 0 || undefined, 30_000, 'Faustus standbys', { intervalMs: 50 })
      expect([...tsStandbys].sort()).toEqual([...pyAssigned()].sort())
      expect(pyAssigned(changelog).sort()).toEqual([0, 1, 2, 3])

      // Faust loses records that arrive while it still recovers a partition without a committed offset: wait that out.
      await py.resumed()

      // Phase 1: keyed events while both run; each lands on the owner of its partition.
      const producer = kafkaApp(`${P}-producer`, bootstrap)
      await producer.start({ client: true })
      cleanup.push(() => producer.stop())
      const out = producer.topic(topic, { valueType: Keyed })
      let seq = 0
      const send = async (n: number) => {
        for (let i = 0; i < n; i++, seq++) {
          const key = KEYS[seq % KEYS.length]
          await out.send({ key, value: new Keyed({ key, seq }) })
        }
      }
      await send(200)
      const pySeen = () => py.events<Seen & { offset: number }>('PY_EVENT')
      const processed = () => new Set([...tsSeen, ...pySeen()].map((e) => e.seq))
      const missing = (sent: number) => {
        const all = processed()
        const lost = [...Array(sent).keys()].filter((s) => !all.has(s))
        return `${lost.length} missing (first ${lost.slice(0, 5).join(',')}); Faustus saw ${tsSeen.length} on [${tsActives}], Python ${pySeen().length} on [${pyAssigned()}]`
      }
      await waitFor(
        () => processed().size >= 200 || undefined,
        60_000,
        () => `phase 1 events: ${missing(200)}`,
        {
          intervalMs: 50,
        },
      )
      const pyPartitions = new Set(pyAssigned())
      expect(pySeen().length).toBeGreaterThan(0)
      expect(tsSeen.length).toBeGreaterThan(0)
      for (const e of pySeen()) expect(pyPartitions).toContain(e.partition)
      for (const e of tsSeen) expect(pyPartitions).not.toContain(e.partition)
      // One key, one partition, one worker (the producer partitions as Faust does: murmur2).
      const owners = new Map<string, number>()
      for (const e of [...tsSeen, ...pySeen()]) {
        expect(owners.get(e.key) ?? e.partition).toBe(e.partition)
        owners.set(e.key, e.partition)
      }

      // Phase 2: the Python worker stops (gracefully: it commits and leaves); Faustus takes every partition.
      await py.stop()
      await waitFor(() => tsActives.length === PARTITIONS || undefined, 60_000, 'Faustus to take all partitions', {
        intervalMs: 50,
      })
      await send(200)
      await waitFor(
        () => {
          const seen = new Set(tsSeen.map((e) => e.seq))
          for (let s = 200; s < 400; s++) if (!seen.has(s)) return undefined
          return true
        },
        60_000,
        'phase 2 events on Faustus',
        { intervalMs: 50 },
      )
      expect(foreign).toEqual([])
      // Faustus's table holds the keys of every partition now (its standbys were promoted or recovered).
      await waitFor(() => seenTable.size === KEYS.length || undefined, 30_000, 'the table to hold every key', {
        intervalMs: 50,
      })
      // Nothing acked is lost: every event was processed by one of the two (at least once).
      const all = processed()
      for (let s = 0; s < 400; s++) expect(all.has(s)).toBe(true)
    },
    300_000,
  )
})

if (skip !== undefined) {
  describe('one consumer group', () => {
    test.skip(`skipped: ${skip}`, () => {})
  })
}
