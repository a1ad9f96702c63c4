// Clicks per user session: a session window (5 minutes of inactivity end a session) with a grace period of
// 1 minute for late clicks, and one final result per session, sent to `session_totals` when the session closes
// (Kafka Streams' suppress(untilWindowCloses)). Clicks are keyed by user, so each user's sessions live on one
// partition; a click later than its session's end + gap + grace is dropped and counted.
// Run it: npx tsx examples/sessions.ts
import { App, type AppOptions, type FinalResult, type Stream } from '../src/index.ts'
import { isMain, Output, until } from './support.ts'

const MINUTE = 60_000

/** The sessions app; options let tests run it under another id, on another broker or store. */
export function sessionsApp(options: AppOptions & { id?: string } = {}, out = new Output()) {
  const { id = 'sessions', ...settings } = options
  const app = new App(id, { broker: 'memory://examples-sessions', logLevel: 'warn', topicPartitions: 4, ...settings })
  const clicks = app.topic('clicks', { keyType: 'json', valueType: 'json' })
  const totals = app.topic('session_totals', { keyType: 'json', valueType: 'json' })
  const perSession = app
    .table<string, number>('clicks_per_session', { default: () => 0 })
    .session(5 * MINUTE, { grace: MINUTE, merge: (earlier, later) => earlier + later })
    .finalResults(totals)
    .onWindowClose((user, count, session) => {
      const from = new Date(session.start).toISOString().slice(11, 16)
      const to = new Date(session.end).toISOString().slice(11, 16)
      out.print(`${user}: ${count} clicks from ${from} to ${to}`)
    })
  let seen = 0
  app.agent(clicks, async function count(stream: Stream<string, string>) {
    for await (const user of stream) {
      perSession.update(user, (n) => n + 1)
      seen++
    }
  })
  const click = (user: string, at: number) => clicks.send({ key: user, value: user, timestamp: at })
  return { app, clicks, totals, perSession, click, seen: () => seen }
}

/** The app `faustus -A examples/sessions.ts worker` runs. */
export const { app } = sessionsApp()

export const START = Date.UTC(2024, 0, 1, 12, 0, 0)
/** Two sessions of ann (12:00-12:03, 12:20), one of bob, then a late click of ann at 12:01 after 12:20. */
export const CLICKS: [string, number][] = [
  ['ann', START],
  ['ann', START + 3 * MINUTE],
  ['bob', START + 1 * MINUTE],
  ['ann', START + 20 * MINUTE],
  ['ann', START + 1 * MINUTE], // late: ann's 12:00 session closed at 12:03 + 5 + 1 = 12:09 of stream time
  ['bob', START + 20 * MINUTE],
  ['ann', START + 40 * MINUTE], // closes ann's 12:20 session
  ['bob', START + 40 * MINUTE],
]

export type Total = FinalResult<number>

export async function run(options: { echo?: boolean; app?: Parameters<typeof sessionsApp>[0] } = {}) {
  const out = new Output()
  out.reset(options.echo)
  const { app, perSession, click, seen } = sessionsApp(options.app, out)
  await app.start()
  try {
    for (const [user, at] of CLICKS) await click(user, at)
    await until(() => seen() === CLICKS.length, 10_000, 'every click')
    await perSession.closesSettled()
    return { lines: out.lines, late: perSession.lateDropped }
  } finally {
    await app.stop()
  }
}

if (isMain(import.meta.url)) await run({ echo: true })
