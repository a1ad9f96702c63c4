import { describe, expect, it } from 'vitest'
import { App, isFaustusError, resolveSettings, type Stream } from '../../src/index.ts'
import { testApp, waitFor } from '../helpers.ts'

function errorOf(fn: () => unknown): Error & { code?: string; details?: Record<string, unknown> } {
  try {
    fn()
  } catch (error) {
    return error as never
  }
  throw new Error('expected an error')
}

describe('settings that do nothing yet are refused', () => {
  const cases: [string, Record<string, unknown>, Record<string, string>][] = [
    ['dataDir', { dataDir: '/tmp/state' }, { FAUSTUS_DATA_DIR: '/tmp/state' }],
  ]
  for (const [name, options, env] of cases) {
    it(`${name}: an error naming it, given in code or in the environment`, () => {
      for (const error of [errorOf(() => resolveSettings(options, {})), errorOf(() => resolveSettings({}, env))]) {
        expect(isFaustusError(error, 'FST_SETTING_UNAVAILABLE')).toBe(true)
        expect(error.message).toContain(name)
        expect(error.message).toContain('not available yet')
      }
    })
  }

  it('the working values stay accepted', () => {
    expect(resolveSettings({ processingGuarantee: 'at_least_once', webEnabled: false }, {})).toMatchObject({
      processingGuarantee: 'at_least_once',
    })
  })
})

describe('unknown settings', () => {
  it('an unknown FAUSTUS_* variable warns naming the closest setting and the app still starts', async () => {
    const warnings: string[] = []
    const settings = resolveSettings(
      {},
      { FAUSTUS_REPO: '/src/x', FAUSTUS_BROKR: 'kafka://h:1' },
      {
        warn: (message) => warnings.push(message),
      },
    )
    expect(settings.broker).toBe('memory://')
    expect(warnings.join('\n')).toMatch(/FAUSTUS_REPO.*did you mean FAUSTUS_/)
    expect(warnings.join('\n')).toMatch(/FAUSTUS_BROKR.*did you mean FAUSTUS_BROKER\?/)
    // Through the App: logged, not thrown.
    process.env.FAUSTUS_REPO = '/src/x'
    try {
      const app = testApp()
      await app.start()
      await app.stop()
    } finally {
      delete process.env.FAUSTUS_REPO
    }
  })

  it('an unknown option given in code stays an error, naming the closest', () => {
    const error = errorOf(() => new App('x', { brokr: 'kafka://h:1' } as never))
    expect(isFaustusError(error, 'FST_SETTING_UNKNOWN')).toBe(true)
    expect(error.message).toMatch(/brokr.*did you mean broker\?/)
  })
})

describe('app-level keySerializer / valueSerializer (Faust key_serializer / value_serializer)', () => {
  it('default to raw keys and JSON values, and apply to topics and agents that set none', async () => {
    const plain = testApp()
    const topic = plain.topic('defaults')
    expect(topic.valueSerde.encode({ a: 1 } as never)?.toString()).toBe('{"a":1}')
    expect(Buffer.from(topic.keySerde.encode('k' as never) as Buffer).toString()).toBe('k')

    const app = testApp(undefined, { keySerializer: 'json', valueSerializer: 'raw' })
    const own = app.topic('own', { valueType: 'json' })
    expect(own.valueSerde.encode([1] as never)?.toString()).toBe('[1]')
    const inherits = app.topic('inherits')
    expect(inherits.keySerde.encode({ id: 7 } as never)?.toString()).toBe('{"id":7}')
    const received: unknown[] = []
    const agent = app.agent(async function raws(stream: Stream<unknown>) {
      for await (const value of stream) received.push(value)
    })
    expect(agent.channel).toBeDefined()
    await app.start()
    try {
      await agent.send({ value: Buffer.from('bytes as they are') })
      await waitFor(() => received.length === 1)
      expect(Buffer.isBuffer(received[0])).toBe(true)
      expect(String(received[0])).toBe('bytes as they are')
    } finally {
      await app.stop()
    }
  })

  it('an unknown codec name is an invalid setting', () => {
    const error = errorOf(() => resolveSettings({ valueSerializer: 'yaml-ish' }, {}))
    expect(isFaustusError(error, 'FST_SETTING_INVALID')).toBe(true)
    expect(error.message).toContain('valueSerializer')
  })
})
