// At-least-once: a window's final result is never lost to a crash between closing the window and acknowledging the
// result. The window's changelog tombstone waits for the checkpoint that flushed the result (memory transport).
import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { App, type FinalResult, type Stream } from '../../src/index.ts'
import { brokerOf, stopAfterEach, waitFor } from '../helpers.ts'

const apps = stopAfterEach()

interface Click {
  page: string
  at: number
}

/** Clicks per page in 10 s tumbling windows (no grace), final results on `finalsTopic`; a refused output crashes. */
function counting(broker: string, finalsTopic: string, config?: Record<string, string>) {
  const app = new App('finals-crash', { broker, logLevel: 'silent', topicPartitions: 1 })
  const input = app.topic('clicks', { keyType: 'json', valueType: 'json' })
  const finals = app.topic(finalsTopic, { keyType: 'json', valueType: 'json', config })
  const windowed = app.table<string, number>('clicks', { default: () => 0 }).tumbling(10_000, { grace: 0 })
  windowed.finalResults(finals)
  app.agent(
    input,
    async function count(stream: Stream<Click, string>) {
      for await (const click of stream) windowed.update(click.page, (n) => n + 1)
    },
    { onError: 'crash' },
  )
  const send = (at: number) => input.send({ key: 'home', value: { page: 'home', at }, timestamp: at })
  return { app, send }
}

function finals(broker: string, topic: string): [string, number, number, number][] {
  const log = brokerOf(broker).log({ topic, partition: 0 })
  return log.read(log.earliest, log.latest - log.earliest, null).map((r) => {
    const result = JSON.parse(r.value!.toString()) as FinalResult<number>
    return [JSON.parse(r.key!.toString()), result.start, result.end, result.value]
  })
}

describe('final results under at-least-once', () => {
  it('a crash before the final result is acknowledged leaves the window to close again after the restart', async () => {
    const broker = `memory://finals-crash-${randomUUID()}`
    // The first worker's final-results topic refuses every record: closing the window crashes it.
    const first = counting(broker, 'finals-refusing', { 'max.message.bytes': '8' })
    apps.push(first.app)
    await first.app.start()
    await first.send(1_000)
    await first.send(2_000)
    await waitFor(() => first.app.stats().eventsInFlight === 0, 20_000, 'the clicks processed')
    await first.app.commit()
    await first.send(11_000) // closes [0, 10 000): its final result is refused
    await expect(first.app.done).rejects.toMatchObject({ code: expect.any(String) })
    expect(finals(broker, 'finals-refusing')).toEqual([])

    // The restarted worker recovers the window from the changelog and closes it again: the result is not lost.
    const second = counting(broker, 'finals')
    apps.push(second.app)
    await second.app.start()
    await waitFor(() => finals(broker, 'finals').length > 0 || undefined, 20_000, 'the final result after restart')
    expect(finals(broker, 'finals')).toEqual([['home', 0, 10_000, 2]])
  }, 60_000)

  it('a graceful stop writes the tombstones that waited: the restarted worker sends no final result again', async () => {
    const broker = `memory://finals-stop-${randomUUID()}`
    const first = counting(broker, 'finals')
    apps.push(first.app)
    await first.app.start()
    for (const at of [1_000, 2_000, 11_000]) await first.send(at) // the last closes [0, 10 000)
    await waitFor(() => finals(broker, 'finals').length === 1 || undefined, 20_000, 'the final result')
    await first.app.stop()

    const second = counting(broker, 'finals')
    apps.push(second.app)
    await second.app.start()
    await second.send(25_000) // closes [10 000, 20 000); [0, 10 000) must not close again
    await waitFor(() => finals(broker, 'finals').length >= 2 || undefined, 20_000, 'the second final result')
    expect(finals(broker, 'finals')).toEqual([
      ['home', 0, 10_000, 2],
      ['home', 10_000, 20_000, 1],
    ])
  }, 60_000)
})
