import { afterEach, describe, expect, it } from 'vitest'
import { type App, isFaustusError, type Stream } from '../../src/index.ts'
import { testApp, waitFor } from '../helpers.ts'

let app: App
afterEach(async () => {
  await app?.stop()
})

/** An input that counts what was pulled from it and says when it was closed. */
function countingInput(limit = Number.POSITIVE_INFINITY) {
  const state = { pulled: 0, closed: false }
  async function* values(): AsyncGenerator<number> {
    try {
      for (let i = 0; i < limit; i++) {
        state.pulled++
        yield i
      }
    } finally {
      state.closed = true
    }
  }
  return { state, values: values() }
}

function squaring(options: Parameters<typeof testApp>[1] = {}) {
  app = testApp(undefined, options)
  let processed = 0
  const agent = app.agent(async function* square(stream: Stream<number>) {
    for await (const value of stream) {
      processed++
      yield value * value
    }
  })
  return { agent, processed: () => processed }
}

describe('map, kvmap, join, kvjoin stream with a bounded window', () => {
  it('map over an infinite input: breaking out after 5 replies sends about window + 5 and closes the input', async () => {
    const window = 10
    const { agent, processed } = squaring({ mapMaxInFlight: window })
    await app.start()
    const { state, values } = countingInput()
    const replies: number[] = []
    for await (const result of agent.map(values)) {
      replies.push(result)
      if (replies.length === 5) break
    }
    await waitFor(() => state.closed, 5000, 'the input to be closed')
    expect(state.pulled).toBeLessThanOrEqual(window + 5)
    // Everything sent was processed, and nothing more is pulled once the loop is left.
    await waitFor(() => processed() === state.pulled, 5000, 'the agent to process what was sent')
    expect(processed()).toBe(state.pulled)
  })

  it('replies start before the input is exhausted; leaving after 5 of 20,000 sends about window + 5', async () => {
    const { agent } = squaring()
    await app.start()
    const { state, values } = countingInput(20_000)
    let pulledAtFirstReply = -1
    let seen = 0
    for await (const _ of agent.map(values, { maxInFlight: 16 })) {
      if (pulledAtFirstReply < 0) pulledAtFirstReply = state.pulled
      if (++seen === 5) break
    }
    expect(pulledAtFirstReply).toBeGreaterThan(0)
    // The window, plus one pulled in the room the first reply made when it was handed out.
    expect(pulledAtFirstReply).toBeLessThanOrEqual(16 + 1)
    await waitFor(() => state.closed, 5000, 'the input to be closed')
    expect(state.pulled).toBeLessThanOrEqual(16 + 5)
  })

  it('kvmap over an infinite sync generator with keys stops too', async () => {
    app = testApp()
    const keys = new Set<unknown>()
    const agent = app.agent(
      async function* keyed(stream: Stream<number>) {
        for await (const event of stream.events()) {
          keys.add(event.key)
          yield event.value
        }
      },
      { keyType: 'json' },
    )
    await app.start()
    let pulled = 0
    function* pairs(): Generator<[string, number]> {
      for (;;) yield [`k${pulled % 3}`, pulled++]
    }
    const got: number[] = []
    for await (const value of agent.kvmap(pairs(), { maxInFlight: 4 })) {
      got.push(value)
      if (got.length === 6) break
    }
    expect(pulled).toBeLessThanOrEqual(4 + 6)
    await waitFor(() => keys.size === 3)
    expect([...keys].sort()).toEqual(['k0', 'k1', 'k2'])
  })

  it('join over 20,000 values keeps input order and never has more than the window outstanding', async () => {
    const window = 50
    const { agent, processed } = squaring({ mapMaxInFlight: window })
    await app.start()
    let maxAhead = 0
    async function* values() {
      for (let i = 0; i < 20_000; i++) {
        // Pulled minus processed is at most sent minus answered: the window.
        maxAhead = Math.max(maxAhead, i - processed())
        yield i
      }
    }
    const results = await agent.join(values())
    expect(results.length).toBe(20_000)
    expect(results.every((r, i) => r === i * i)).toBe(true)
    expect(maxAhead).toBeLessThanOrEqual(window)
  })

  it('kvjoin keeps input order with per-call maxInFlight', async () => {
    const { agent } = squaring()
    await app.start()
    const pairs: [string, number][] = Array.from({ length: 500 }, (_, i) => [`k${i}`, i])
    const results = await agent.kvjoin(pairs, { maxInFlight: 7 })
    expect(results).toEqual(pairs.map(([, v]) => v * v))
  })

  it('join rejects on the first failed request and stops pulling the input', async () => {
    app = testApp()
    const agent = app.agent(
      app.topic('checked', { valueType: 'json' }),
      async function* checked(stream: Stream<unknown>) {
        for await (const value of stream) yield value
      },
    )
    await app.start()
    const { state } = countingInput()
    async function* values() {
      try {
        for (let i = 0; ; i++) {
          state.pulled++
          // A BigInt cannot be encoded as JSON: the send of item 3 fails.
          yield i === 3 ? (10n as unknown) : i
        }
      } finally {
        state.closed = true
      }
    }
    const error = await agent.join(values(), { maxInFlight: 8 }).catch((e: unknown) => e)
    expect(isFaustusError(error)).toBe(true)
    await waitFor(() => state.closed, 5000, 'the input to be closed')
    expect(state.pulled).toBeLessThanOrEqual(8 + 1)
  })

  it('an input that throws ends map with its error', async () => {
    const { agent } = squaring()
    await app.start()
    async function* values() {
      yield 1
      throw new Error('input broke')
    }
    const got: number[] = []
    const error = await (async () => {
      for await (const value of agent.map(values())) got.push(value)
    })().catch((e: Error) => e)
    expect((error as Error).message).toBe('input broke')
  })

  it('a reply timeout ends map with FST_ASK_TIMEOUT and forgets the other requests', async () => {
    app = testApp()
    const agent = app.agent(async function* picky(stream: Stream<number>) {
      for await (const value of stream) if (value !== 2) yield value
    })
    await app.start()
    const error = await agent.join([1, 2, 3], { timeout: 50 }).catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_ASK_TIMEOUT')).toBe(true)
    expect(app.stats().asksWaiting).toBe(0)
  })

  it('maxInFlight must be a positive integer', async () => {
    const { agent } = squaring()
    await app.start()
    const error = await agent.join([1], { maxInFlight: 0 }).catch((e: unknown) => e)
    expect(isFaustusError(error, 'FST_APP_DEFINITION')).toBe(true)
    expect(() => testApp(undefined, { mapMaxInFlight: 0 })).toThrow(/mapMaxInFlight/)
  })
})
