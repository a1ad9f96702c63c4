// The pace of interval checkpoints under exactly-once: counted from the end of the last checkpoint (a checkpoint
// holds the streams while it cuts a transaction), so a slow one does not start the next at once.
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Checkpoint } from '../../src/app/checkpoint.ts'

afterEach(() => {
  vi.useRealTimers()
})

const silent = { debug() {}, info() {}, warn() {}, error() {} }

/** A checkpoint with nothing to commit, whose transactions end when the test says (or fail). */
function exactlyOnceCheckpoint(intervalMs: number) {
  const ends: { resolve: () => void; reject: (error: unknown) => void }[] = []
  const aborted: unknown[] = []
  const checkpoint = new Checkpoint({
    log: silent as never,
    acks: { takeCommittable: () => [], uncommit() {}, inFlight: () => 0 } as never,
    outputs: { flush: async () => {}, discard() {} } as never,
    intervalMs,
    onAborted: (error) => aborted.push(error),
  })
  checkpoint.transactions = {
    send: async () => [],
    flush: async () => {},
    close: async () => {},
    sendOffsets: async () => {},
    abort: async () => {},
    commit: () => new Promise<void>((resolve, reject) => ends.push({ resolve, reject })),
  }
  checkpoint.bind({ groupMetadata: () => undefined, commit: async () => {} } as never)
  return { checkpoint, ends, aborted }
}

describe('exactly-once checkpoint interval', () => {
  it('counts from the end of the last checkpoint, not from a fixed pace', async () => {
    vi.useFakeTimers()
    const { checkpoint, ends } = exactlyOnceCheckpoint(100)
    await vi.advanceTimersByTimeAsync(100)
    expect(ends.length).toBe(1)
    // A commit ten intervals long: no tick queues another checkpoint meanwhile.
    await vi.advanceTimersByTimeAsync(1_000)
    expect(ends.length).toBe(1)
    ends[0].resolve()
    await vi.advanceTimersByTimeAsync(99)
    expect(ends.length).toBe(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(ends.length).toBe(2)
    ends[1].resolve()
    checkpoint.stopInterval()
    await vi.advanceTimersByTimeAsync(1_000)
    expect(ends.length).toBe(2)
  })

  it('keeps its pace through an aborted transaction and resumes after the rewind', async () => {
    vi.useFakeTimers()
    const { checkpoint, ends, aborted } = exactlyOnceCheckpoint(100)
    await vi.advanceTimersByTimeAsync(100)
    ends[0].reject(new Error('the broker is away'))
    await vi.advanceTimersByTimeAsync(0)
    expect(aborted.length).toBe(1)
    // Until the rewind resumes, interval checkpoints commit nothing (none starts)...
    await vi.advanceTimersByTimeAsync(500)
    expect(ends.length).toBe(1)
    // ...then they run again at the interval.
    checkpoint.resume()
    await vi.advanceTimersByTimeAsync(100)
    expect(ends.length).toBe(2)
    ends[1].resolve()
    checkpoint.unbind()
  })
})
