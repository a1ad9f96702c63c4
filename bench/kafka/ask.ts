/**
 * Sequential `ask` round trips on Kafka with the app's default settings (producer linger included): an agent that
 * echoes, asked one value at a time after 500 asks of warm-up; p50 and p99 in ms.
 */
import { App, type Stream } from '../../src/index.ts'
import type { BenchAdmin } from './common.ts'

export interface AskLatency {
  p50: number
  p99: number
  asks: number
}

export async function askLatency(options: {
  bootstrap: string
  admin: BenchAdmin
  topic: string
  asks: number
}): Promise<AskLatency> {
  const app = new App(`bench-ask-${options.topic}`, {
    broker: `kafka://${options.bootstrap}`,
    logLevel: 'error',
    stopTimeoutMs: 2_000,
  })
  const echo = app.agent(
    app.topic(options.topic, { valueType: 'json', partitions: options.admin.partitions }),
    async function* echo(stream: Stream<unknown>) {
      for await (const value of stream) yield value
    },
  )
  await app.start()
  try {
    // The broker's JIT and the app's warm up: the first few hundred asks are slower.
    for (let i = 0; i < 500; i++) await echo.ask(i)
    const latencies: number[] = []
    for (let i = 0; i < options.asks; i++) {
      const started = performance.now()
      await echo.ask(i)
      latencies.push(performance.now() - started)
    }
    latencies.sort((a, b) => a - b)
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))]
    return { p50: at(0.5), p99: at(0.99), asks: latencies.length }
  } finally {
    await app.stop()
  }
}
