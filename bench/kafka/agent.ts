/**
 * (b) A Faustus passthrough agent on Kafka: an agent over the input topic (raw values) yielding every value, with
 * the output topic as its sink. Timed from `app.start()` until the output topic's end offsets reach the record count.
 *
 * The `windowed` variant is a diagnostic, not the measured figure: the same agent with a function sink that sends
 * to the output topic without waiting for each acknowledgement (at most `WINDOW` unacknowledged), which shows what
 * the rest of the pipeline (fetch, conductor, queue, actor, producer) can do once the per-record wait is gone.
 */
import { App, type Stream, type Topic, webServerOf } from '../../src/index.ts'
import type { BenchAdmin } from './common.ts'

const WINDOW = 20_000
const COMMIT_INTERVAL_MS = Number(process.env.BENCH_COMMIT_INTERVAL_MS ?? 100)

export interface AgentRun {
  /** Records in the output topic when the run ended. */
  count: number
  ms: number
  /** The deadline passed before every record reached the output topic. */
  timedOut: boolean
  /** /metrics scrapes answered during the run (web runs). */
  scrapes?: number
  /** Peak resident set size of this process during the run, sampled every 50 ms (MB). */
  peakRssMb: number
}

export interface AgentRunOptions {
  bootstrap: string
  admin: BenchAdmin
  source: string
  sink: string
  total: number
  /** Give up (and report the partial rate) after this long. */
  timeoutMs: number
  /** `topic`: `sink: [outputTopic]` (the measured passthrough); `windowed`: the diagnostic variant. */
  mode: 'topic' | 'windowed'
  /** Web server and metrics on (port chosen by the OS), with /metrics scraped every second during the run. */
  web?: boolean
  /**
   * With a guarantee, the run is timed until the group committed every input offset (outputs committed with them
   * under exactly-once), with commits every BENCH_COMMIT_INTERVAL_MS (default 100, Kafka Streams' exactly-once
   * default) for both guarantees.
   */
  guarantee?: 'at_least_once' | 'exactly_once'
}

/** A function sink sending to `topic` with at most `window` sends unacknowledged; a failed send fails the next one. */
function windowedSink(topic: Topic<unknown, unknown>, window: number): (value: unknown) => Promise<void> | undefined {
  let outstanding = 0
  let failure: unknown
  const waiting: (() => void)[] = []
  const settled = () => {
    outstanding--
    if (outstanding < window) waiting.shift()?.()
  }
  return (value) => {
    if (failure !== undefined) throw failure
    outstanding++
    topic.send({ value }).then(settled, (error: unknown) => {
      failure = error
      settled()
    })
    if (outstanding < window) return undefined
    return new Promise<void>((resolve) => waiting.push(resolve))
  }
}

export async function agentPassthrough(options: AgentRunOptions): Promise<AgentRun> {
  const { admin, source, sink, total } = options
  const app = new App(`bench-agent-${sink}`, {
    broker: `kafka://${options.bootstrap}`,
    logLevel: 'error',
    topicPartitions: admin.partitions,
    stopTimeoutMs: 2_000,
    revokeTimeoutMs: 2_000,
    webEnabled: options.web === true,
    webPort: 0,
    ...(options.guarantee
      ? { processingGuarantee: options.guarantee, brokerCommitIntervalMs: COMMIT_INTERVAL_MS }
      : {}),
  })
  const input = app.topic(source, { valueType: 'raw' })
  const output = app.topic(sink, { valueType: 'raw' })
  app.agent(
    input,
    async function* passthrough(stream: Stream<unknown>) {
      for await (const value of stream) yield value
    },
    { sink: [options.mode === 'topic' ? output : windowedSink(output, WINDOW)] },
  )
  // The bench process holds nothing else of size while the agent runs, so its RSS is the worker's.
  let peakRss = process.memoryUsage.rss()
  const rssSampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
  }, 50)
  const started = performance.now()
  await app.start()
  const url = webServerOf(app)?.url
  let scrapes = 0
  const scraper =
    url === undefined
      ? undefined
      : setInterval(() => {
          void fetch(`${url}/metrics`)
            .then((response) => response.text())
            .then(() => scrapes++)
        }, 1000)
  try {
    const deadline = started + options.timeoutMs
    const { count, at } = options.guarantee
      ? await admin.waitForCommitted(app.groupId, source, total, deadline)
      : await admin.waitForEnd(sink, total, deadline)
    peakRss = Math.max(peakRss, process.memoryUsage.rss())
    return { count, ms: at - started, timedOut: count < total, scrapes, peakRssMb: Math.round(peakRss / 2 ** 20) }
  } finally {
    clearInterval(scraper)
    clearInterval(rssSampler)
    await app.stop()
  }
}
