import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { secretValues } from '../../src/app/settings.ts'
import { App, isFaustusError, resolveSettings, type Stream } from '../../src/index.ts'
import { createLogger, errorFields } from '../../src/logging.ts'
import { testApp, waitFor } from '../helpers.ts'

function capture() {
  const lines: string[] = []
  return { lines, destination: { write: (line: string) => lines.push(line) } }
}

const PASSWORD = 'hunter2-very-secret'

describe('error logs', () => {
  it("an agent's error is logged with its class, code and cause chain", async () => {
    const { lines, destination } = capture()
    const logger = createLogger({ level: 'info', format: 'json', destination })
    const app = testApp(undefined, { logger })
    class PaymentDeclined extends Error {}
    const agent = app.agent(async function failing(stream: Stream<number>) {
      for await (const value of stream) {
        throw new PaymentDeclined(`declined ${value}`, { cause: new TypeError('card expired', { cause: 'root' }) })
      }
    })
    await app.start()
    try {
      await agent.send({ value: 1 })
      await waitFor(() => lines.some((line) => line.includes('declined 1')))
    } finally {
      await app.stop()
    }
    const entry = JSON.parse(lines.find((line) => line.includes('declined 1'))!)
    expect(entry.err.type).toBe('PaymentDeclined')
    expect(entry.err.message).toBe('declined 1')
    expect(entry.err.cause).toMatchObject({ type: 'TypeError', message: 'card expired', cause: { message: 'root' } })
  })

  it('FaustusErrors keep their code and details; thrown non-errors are named', () => {
    const { lines, destination } = capture()
    const logger = createLogger({ level: 'info', format: 'json', destination })
    let settingError: unknown
    try {
      resolveSettings({ topicPartitions: 0 }, {})
    } catch (error) {
      settingError = error
    }
    logger.error(errorFields(settingError), 'bad')
    logger.error(errorFields('just a string'), 'odd')
    const [first, second] = lines.map((line) => JSON.parse(line))
    expect(first.err).toMatchObject({ type: 'SettingError', code: 'FST_SETTING_INVALID' })
    expect(first.err.details.name).toBe('topicPartitions')
    expect(second.err).toMatchObject({ type: 'ThrownValue', message: 'just a string' })
  })
})

describe('log format', () => {
  it('is human-readable on a terminal and JSON lines otherwise, or as asked', () => {
    const tty = capture()
    createLogger({ level: 'info', destination: tty.destination, isTTY: true }).info({ topic: 't' }, 'hello there')
    expect(tty.lines.join('')).toMatch(/INFO.*hello there/)
    expect(() => JSON.parse(tty.lines[0])).toThrow()

    const pipe = capture()
    createLogger({ level: 'info', destination: pipe.destination, isTTY: false }).info('hello there')
    expect(JSON.parse(pipe.lines[0]).msg).toBe('hello there')

    const forced = capture()
    createLogger({ level: 'info', format: 'json', destination: forced.destination, isTTY: true }).info('x')
    expect(JSON.parse(forced.lines[0]).msg).toBe('x')
    expect(resolveSettings({}, { FAUSTUS_LOG_FORMAT: 'json' }).logFormat).toBe('json')
  })
})

describe('secrets', () => {
  it('malformed JSON in FAUSTUS_BROKER_SASL is FST_SETTING_INVALID naming the setting, without its text', () => {
    let caught: unknown
    try {
      resolveSettings({}, { FAUSTUS_BROKER_SASL: `{"mechanism":"PLAIN","username":"u","password":"${PASSWORD}"` })
    } catch (error) {
      caught = error
    }
    expect(isFaustusError(caught, 'FST_SETTING_INVALID')).toBe(true)
    expect((caught as Error).message).toMatch(/brokerSasl.*FAUSTUS_BROKER_SASL is not valid JSON/)
    expect(JSON.stringify({ m: (caught as Error).message, d: (caught as { details: unknown }).details })).not.toContain(
      PASSWORD,
    )
  })

  it('an invalid SASL setting does not echo the password', () => {
    let caught: unknown
    try {
      resolveSettings({ brokerSasl: { mechanism: 'PLAIN', username: 'u', password: PASSWORD, extra: 1 } as never }, {})
    } catch (error) {
      caught = error
    }
    expect(isFaustusError(caught, 'FST_SETTING_INVALID')).toBe(true)
    expect((caught as Error).message).toContain('brokerSasl')
    expect(JSON.stringify({ m: (caught as Error).message, d: (caught as { details: unknown }).details })).not.toContain(
      PASSWORD,
    )
  })

  it('no log line and no broker URL error shows a password', async () => {
    const { lines, destination } = capture()
    const app = new App('secrets', {
      broker: `kafka://admin:${PASSWORD}@localhost:1`,
      brokerSasl: { mechanism: 'PLAIN', username: 'u', password: PASSWORD },
      logLevel: 'info',
    })
    // The app's own logger, pointed at our capture: same options as the App builds it with.
    expect(secretValues(app.settings)).toContain(PASSWORD)
    const logger = createLogger({ level: 'info', format: 'json', destination, secrets: secretValues(app.settings) })
    logger.info({ settings: app.settings }, `connecting to ${app.settings.broker}`)
    logger.error(errorFields(new Error(`login failed for ${PASSWORD}`)), 'failed')
    let caught: unknown
    try {
      await app.start()
    } catch (error) {
      caught = error
    }
    expect(isFaustusError(caught, 'FST_BROKER_URL_INVALID')).toBe(true)
    expect((caught as Error).message).toContain('admin:***@localhost')
    expect(JSON.stringify({ m: (caught as Error).message, d: (caught as { details: unknown }).details })).not.toContain(
      PASSWORD,
    )
    const text = lines.join('')
    expect(text).toContain('***')
    expect(text).not.toContain(PASSWORD)
  })

  it('a private key read from brokerSsl.keyFile is masked in log lines, whole or a line of it; printed settings mask key and password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'faustus-key-'))
    const body = [
      'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
      'aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789+/aBcDeFgHiJkLmN',
    ]
    const key = `-----BEGIN PRIVATE KEY-----\n${body.join('\n')}\n-----END PRIVATE KEY-----\n`
    writeFileSync(join(dir, 'client.key'), key)
    const settings = resolveSettings(
      {},
      {
        FAUSTUS_BROKER_SSL: JSON.stringify({ keyFile: join(dir, 'client.key'), certFile: join(dir, 'client.pem') }),
        FAUSTUS_BROKER_SASL: JSON.stringify({ mechanism: 'PLAIN', username: 'u', password: PASSWORD }),
      },
    )
    const { lines, destination } = capture()
    const logger = createLogger({ level: 'trace', format: 'json', destination, secrets: secretValues(settings) })
    logger.info({ key }, 'the whole key')
    logger.info(`a line of it: ${body[1]}`)
    logger.error(errorFields(new Error(`bad key ${key}`)), 'failed')
    const inSettings = { ...settings.brokerSsl, key }
    logger.info({ inSettings }, 'the key as a setting')
    const text = lines.join('')
    for (const line of body) expect(text).not.toContain(line)
    expect(text).toContain('***')

    // Settings printed as JSON or by console.log show the key and password masked, the paths as they are.
    const withKey = resolveSettings(
      { brokerSsl: { key, cert: 'x' }, brokerSasl: { mechanism: 'PLAIN', username: 'u', password: PASSWORD } },
      {},
    )
    for (const printed of [JSON.stringify(withKey), inspect(withKey, { depth: 5 })]) {
      for (const line of body) expect(printed).not.toContain(line)
      expect(printed).not.toContain(PASSWORD)
      expect(printed).toContain('***')
    }
    expect(JSON.stringify(settings)).toContain('client.key')
    // The transport still gets the real key: only printing masks it.
    expect({ ...withKey.brokerSsl }.key).toBe(key)
    expect(withKey.brokerSasl?.password).toBe(PASSWORD)
  })
})
