/**
 * ask, cast and send(replyTo) across languages on the real broker: a Python Faust worker (py/ask_worker.py) and
 * a Faustus worker, each in its own consumer group, call each other's agents.
 */
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import type { Agent, App } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { createTopics, kafkaApp, pythonAppEnv, uniquePrefix } from './kafka.ts'
import { Add } from './models.ts'
import { PythonProcess, provisionFaust } from './python.ts'

const skip = process.env.FAUSTUS_TEST_FAUST_SKIP
type AddValue = InstanceType<typeof Add>
type Envelope = { key: unknown; value: unknown; correlation_id: string; __faust?: { ns: string } }

describe.skipIf(skip !== undefined)('ask across languages (Python Faust <-> Faustus)', () => {
  const bootstrap = inject('kafkaBootstrap')
  const P = uniquePrefix('ask')
  let worker: App
  let client: App
  let python: PythonProcess
  const casts: AddValue[] = []
  const results: Envelope[] = []
  const driven: { a: number; b: number; result: number }[] = []

  // The Faustus client's handles on the Python agents: a client app defines them but runs no agents.
  let pyAdd: Agent<AddValue, unknown, number>
  let pyCast: Agent<AddValue, unknown, unknown>

  function defineClient(app: App) {
    const remote = async function* (): AsyncGenerator<never> {}
    return {
      pyAdd: app.agent(app.topic(`${P}-py-add`, { valueType: Add }), remote as never, {
        name: 'py_add',
      }) as unknown as Agent<AddValue, unknown, number>,
      pyCast: app.agent(app.topic(`${P}-py-cast`, { valueType: Add }), remote as never, {
        name: 'py_cast',
      }) as unknown as Agent<AddValue, unknown, unknown>,
    }
  }

  beforeAll(async () => {
    const provisioned = await provisionFaust()
    if ('skip' in provisioned) throw new Error(provisioned.skip)
    const topics = ['py-add', 'py-cast', 'py-results', 'py-driver', 'ts-add', 'ts-cast', 'ts-results', 'ts-driver']
    await createTopics(
      bootstrap,
      topics.map((t) => ({ name: `${P}-${t}`, partitions: 2 })),
    )

    client = kafkaApp(`${P}-tsclient`, bootstrap)
    ;({ pyAdd, pyCast } = defineClient(client))

    worker = kafkaApp(`${P}-ts`, bootstrap)
    worker.agent(
      worker.topic(`${P}-ts-add`, { valueType: Add }),
      async function* tsAdd(stream) {
        for await (const value of stream) yield value.a + value.b
      },
      { name: 'ts_add' },
    )
    worker.agent(
      worker.topic(`${P}-ts-cast`, { valueType: Add }),
      async (stream) => {
        for await (const value of stream) casts.push(value)
      },
      { name: 'ts_cast' },
    )
    worker.agent(
      worker.topic(`${P}-ts-results`),
      async (stream) => {
        for await (const value of stream) results.push(value as Envelope)
      },
      { name: 'ts_results' },
    )
    // A Faustus agent that asks the Python agent for each value it reads.
    worker.agent(
      worker.topic(`${P}-ts-driver`, { valueType: Add }),
      async (stream) => {
        for await (const value of stream) {
          driven.push({ a: value.a, b: value.b, result: await pyAdd.ask(value, { timeout: 30_000 }) })
        }
      },
      { name: 'ts_driver' },
    )
    await worker.start()
    await client.start({ client: true })

    python = new PythonProcess(
      provisioned.python,
      'ask_worker.py',
      ['worker'],
      pythonAppEnv(`${P}-py`, bootstrap, { FAUST_PREFIX: P }),
    )
    await python.waitFor(/^PY_READY /, 90_000)
  }, 240_000)

  afterAll(async () => {
    await python?.stop()
    await client?.stop()
    await worker?.stop()
  }, 120_000)

  test('Faustus asks a Python agent (request envelope, @ReqRepResponse reply)', async () => {
    expect(await pyAdd.ask(new Add({ a: 2, b: 3 }), { timeout: 30_000 })).toBe(5)
    expect(await pyAdd.join([new Add({ a: 1, b: 1 }), new Add({ a: 20, b: 22 })], { timeout: 30_000 })).toEqual([2, 42])
    expect(python.events('PY_ADD')).toEqual(
      expect.arrayContaining([
        { a: 2, b: 3 },
        { a: 20, b: 22 },
      ]),
    )
  })

  test('a Faustus agent asks a Python agent from inside its stream', async () => {
    await worker.topics.get(`${P}-ts-driver`)!.send({ value: new Add({ a: 4, b: 6 }) })
    await waitFor(() => driven.length > 0 || undefined, 30_000, 'ts_driver to get the Python answer', {
      intervalMs: 50,
    })
    expect(driven).toEqual([{ a: 4, b: 6, result: 10 }])
  })

  test('a Python agent asks a Faustus agent, casts to one, and sends to one with reply_to', async () => {
    await client.topic(`${P}-py-driver`, { valueType: Add }).send({ value: new Add({ a: 7, b: 8 }) })
    const asked = await python.waitFor(/^PY_ASKED /, 30_000)
    expect(JSON.parse(asked.slice('PY_ASKED '.length))).toEqual({ a: 7, b: 8, result: 15 })
    // cast from Python: the Faustus agent got the value, typed.
    await waitFor(() => casts.find((c) => c.a === 7), 30_000, 'the Python cast', { intervalMs: 50 })
    expect(casts.find((c) => c.a === 7)).toEqual(new Add({ a: 7, b: -8 }))
    // send(reply_to=py_results) from Python: Faustus's reply reaches the Python agent as a ReqRepResponse.
    const line = await python.waitFor(/^PY_RESULT /, 30_000)
    expect(JSON.parse(line.slice('PY_RESULT '.length))).toEqual({
      type: 'ReqRepResponse',
      value: 107,
      correlation_id: 'corr-7',
    })
  })

  test('Faustus casts to a Python agent', async () => {
    await pyCast.cast(new Add({ a: 11, b: 12 }))
    const line = await python.waitFor(/^PY_CAST /, 30_000)
    expect(JSON.parse(line.slice('PY_CAST '.length))).toEqual({ a: 11, b: 12 })
  })

  test('Faustus sends to a Python agent with replyTo a Faustus agent', async () => {
    const tsResults = worker.agents.get('ts_results')!
    await pyAdd.send({ value: new Add({ a: 30, b: 3 }), replyTo: tsResults, correlationId: 'corr-ts-30' })
    const reply = await waitFor(() => results.find((r) => r.correlation_id === 'corr-ts-30'), 30_000, 'the reply', {
      intervalMs: 50,
    })
    expect(reply).toMatchObject({ value: 33, correlation_id: 'corr-ts-30', key: null })
  })
})

if (skip !== undefined) {
  describe('ask across languages', () => {
    test.skip(`skipped: ${skip}`, () => {})
  })
}
