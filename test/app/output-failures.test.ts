// Outputs the broker refuses go through the agent's error policy, like processing errors (memory transport).
import { describe, expect, it } from 'vitest'
import { type App, DEAD_LETTER_HEADERS, type Event, type Logger, type Stream } from '../../src/index.ts'
import { memoryBrokers } from '../../src/transport/memory/registry.ts'
import { memoryBrokerName } from '../../src/transport/memory/transport.ts'
import { brokerOf, stopAfterEach, testApp, waitFor } from '../helpers.ts'

const apps = stopAfterEach()

interface Line {
  level: string
  fields: Record<string, unknown>
  msg?: string
}

function recordingLogger(lines: Line[]): Logger {
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      lines.push(typeof obj === 'string' ? { level, fields: {}, msg: obj } : { level, fields: { ...obj }, msg })
    }
  const logger: Logger = {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    child: () => logger,
  }
  return logger
}

function committed(app: App, topic: string, partition = 0): number | undefined {
  return brokerOf(app).group(app.groupId).committed({ topic, partition })
}

type Policy = 'ack' | 'crash' | { deadLetter: string }

/** A relay whose sink topic refuses records over 64 bytes; values are strings, "big" ones refused. */
function relay(policy: Policy, lines: Line[] = [], options: Parameters<typeof testApp>[1] = {}) {
  const app = testApp(undefined, { logger: recordingLogger(lines), ...options })
  apps.push(app)
  const source = app.topic('refusal-in', { partitions: 1, valueType: 'json' })
  const sink = app.topic('refusal-out', { partitions: 1, valueType: 'json', config: { 'max.message.bytes': '64' } })
  const relayed: string[] = []
  app.agent(
    source,
    async function* relay(stream: Stream<string>) {
      for await (const value of stream) {
        relayed.push(value)
        yield value
      }
    },
    { sink: [sink], onError: policy },
  )
  return { app, source, sink, relayed }
}

async function outputs(app: App, topic: string): Promise<string[]> {
  const log = brokerOf(app).log({ topic, partition: 0 })
  return log.read(log.earliest, log.latest - log.earliest, null).map((r) => JSON.parse(r.value!.toString()))
}

const big = 'x'.repeat(200)

describe('refused outputs', () => {
  it('ack: logs the refusal naming the input record, and goes on (offsets committed past it)', async () => {
    const lines: Line[] = []
    const { app, source } = relay('ack', lines)
    await app.start()
    for (const value of ['a', big, 'b']) await source.send({ value })
    await waitFor(async () => (await outputs(app, 'refusal-out')).length === 2, 5000, 'two outputs')
    await waitFor(() => app.stats().eventsInFlight === 0)
    await app.commit()
    expect(await outputs(app, 'refusal-out')).toEqual(['a', 'b'])
    expect(committed(app, 'refusal-in')).toBe(3)
    const line = lines.find((l) => l.level === 'error' && l.fields.offset === 1)
    expect(line?.fields).toMatchObject({ topic: 'refusal-in', partition: 0, offset: 1 })
    expect((line?.fields.err as { code?: string } | undefined)?.code).toBe('FST_OUTPUT_REFUSED')
  })

  it('deadLetter: copies the input record to the dead-letter topic and goes on', async () => {
    const { app, source } = relay({ deadLetter: 'refusal-dead' })
    const dead: Event[] = []
    const dlq = app.topic('refusal-dead', { valueType: 'json' })
    app.task(async function readDead() {
      for await (const event of dlq.stream().events()) dead.push(event)
    })
    await app.start()
    for (const value of ['a', big, 'b']) await source.send({ value })
    await waitFor(() => dead.length === 1, 5000, 'the dead letter')
    expect(dead[0].value).toBe(big)
    expect(dead[0].headers[DEAD_LETTER_HEADERS.code].toString()).toBe('FST_OUTPUT_REFUSED')
    expect(dead[0].headers[DEAD_LETTER_HEADERS.offset].toString()).toBe('1')
    await waitFor(async () => (await outputs(app, 'refusal-out')).length === 2, 5000, 'two outputs')
  })

  it('crash: the app stops, committing nothing past the refused output', async () => {
    const { app, source } = relay('crash')
    await app.start()
    await source.send({ value: 'a' })
    await waitFor(() => app.stats().eventsInFlight === 0)
    await app.commit()
    await source.send({ value: big })
    await expect(app.done).rejects.toThrow()
    expect(committed(app, 'refusal-in')).toBe(1)
    expect(await outputs(app, 'refusal-out')).toEqual(['a'])
  })

  it.each([
    ['with', true],
    ['without', false],
  ])(
    "an output forwarded from the agent's body (topic.forward) is refused under the agent's policy too (app %s tables)",
    async (_, withTable) => {
      const lines: Line[] = []
      const app = testApp(undefined, { logger: recordingLogger(lines) })
      apps.push(app)
      const source = app.topic('body-in', { partitions: 1, valueType: 'json' })
      const sink = app.topic('body-out', { partitions: 1, valueType: 'json', config: { 'max.message.bytes': '64' } })
      const counts = withTable
        ? app.table<string, number>('body-counts', { default: () => 0, partitions: 1 })
        : undefined
      app.agent(
        source,
        async function relay(stream: Stream<string>) {
          for await (const value of stream) {
            counts?.set('n', (counts.get('n') ?? 0) + 1)
            // Not awaited for its acknowledgement (as sinks do): a refusal surfaces later, in the output path.
            const room = sink.forward({ value })
            if (room) await room
          }
        },
        { onError: 'ack' },
      )
      await app.start()
      for (const value of ['a', big, 'b']) await source.send({ value })
      await waitFor(async () => (await outputs(app, 'body-out')).length === 2, 5000, 'two outputs')
      await waitFor(() => app.stats().eventsInFlight === 0)
      await app.commit()
      expect(await outputs(app, 'body-out')).toEqual(['a', 'b'])
      expect(committed(app, 'body-in')).toBe(3)
      expect(app.state).toBe('running')
      const line = lines.find((l) => l.level === 'error' && l.fields.offset === 1)
      expect((line?.fields.err as { code?: string } | undefined)?.code).toBe('FST_OUTPUT_REFUSED')
    },
  )

  it('a missing output topic (auto-create off) is a refusal too', async () => {
    const lines: Line[] = []
    // The app may not create topics either (a topic declared while running is otherwise created before its send).
    const app = testApp(undefined, { logger: recordingLogger(lines), topicAllowDeclare: false })
    apps.push(app)
    const broker = memoryBrokers.get(memoryBrokerName(app.settings.broker), { autoCreateTopics: false })
    broker.ensureTopics([
      { name: 'missing-in', partitions: 1 },
      { name: `${app.id}-__assignor-__leader`, partitions: 1 },
    ])
    const source = app.topic('missing-in', { partitions: 1, valueType: 'json' })
    app.agent(
      source,
      async function* relay(stream: Stream<string>) {
        for await (const value of stream) yield value
      },
      { sink: [(value: string) => app.topic(`missing-out-${value}`).forward({ value })] },
    )
    await app.start()
    await source.send({ value: 'x' })
    await waitFor(() => lines.some((l) => l.level === 'error' && l.fields.offset === 0), 5000, 'the refusal log')
    expect(app.state).toBe('running')
  })
})

describe('dead-letter topics at start', () => {
  it('are created at start, like every declared topic (the setting and agent options)', async () => {
    const { app } = relay({ deadLetter: 'agent-dead' }, [], { deadLetterTopic: 'setting-dead' })
    await app.start()
    const broker = brokerOf(app)
    expect(broker.topic('agent-dead')).toBeDefined()
    expect(broker.topic('setting-dead')).toBeDefined()
  })

  it('are refused at start, by name, when topic creation is off and they do not exist', async () => {
    const { app } = relay({ deadLetter: 'nowhere-dead' }, [], { topicAllowDeclare: false })
    await expect(app.start()).rejects.toMatchObject({ code: 'FST_TOPIC_UNKNOWN', message: /nowhere-dead/ })
  })
})
