// Faust's agents guide, "Using Agents": cast, ask, send with reply_to, and the streaming map/reduce calls
// (map, kvmap, join, kvjoin).
import { App, int, record, type Stream } from '../src/index.ts'
import { isMain, Output, repr, until } from './support.ts'

export const Add = record('examples.calls.Add', { a: int(), b: int() })
export type Add = InstanceType<typeof Add>

export const app = new App('calls', { broker: 'memory://examples-calls', logLevel: 'warn' })

const out = new Output()
/** Every Add the adder processed, asked or not. */
export const added: number[] = []
/** What another_agent received. */
export const forwarded: Reply<number>[] = []

export const adder = app.agent(async function* adder(stream: Stream<Add>) {
  for await (const value of stream) {
    added.push(value.a + value.b)
    yield value.a + value.b
  }
})

/** What a reply_to topic receives: Faust's reply envelope (`@ReqRepResponse`), the result in `value`. */
export interface Reply<R> {
  key: unknown
  value: R
  correlation_id: string
}

// The reply_to of a send: it receives the adder's results for the requests that named it.
export const anotherAgent = app.agent(async function another_agent(stream: Stream<Reply<number>>) {
  for await (const reply of stream) {
    forwarded.push(reply)
    out.print(`ANOTHER AGENT RECEIVED: ${repr(reply.value)}`)
  }
})

export const pow2 = app.agent(async function* pow2(stream: Stream<number>) {
  for await (const value of stream) yield value ** 2
})

export interface CallsRun {
  /** What the adder computed for the cast (no one got it back). */
  cast: number | undefined
  /** `await adder.ask(Add(a=2, b=2))`. */
  ask: number
  /** What another_agent received from `adder.send({ value, replyTo: anotherAgent })`. */
  sendReplyTo: Reply<number>
  /** Replies of `pow2.map([1..8])`, in the order they came. */
  map: number[]
  /** Replies of `pow2.kvmap(...)`, in the order they came. */
  kvmap: number[]
  /** `await pow2.join([1..8])`: in the order of the values. */
  join: number[]
  kvjoin: number[]
  lines: string[]
}

export async function run(options: { echo?: boolean } = {}): Promise<CallsRun> {
  out.reset(options.echo)
  added.length = 0
  forwarded.length = 0
  const values = [1, 2, 3, 4, 5, 6, 7, 8]
  const items = values.map((value): [string, number] => [`k${value}`, value])
  await app.start()
  try {
    // cast: non-blocking, no reply.
    await adder.cast(new Add({ a: 2, b: 2 }))
    await until(() => added.length === 1, 5000, 'the cast to be processed')
    out.print(`CAST: the adder computed ${added[0]}, and replied to no one`)

    // ask: waits for the reply.
    const asked = await adder.ask(new Add({ a: 2, b: 2 }))
    out.print(`ASK: ${repr(asked)}`)

    // send with reply_to: the result goes to another agent.
    await adder.send({ value: new Add({ a: 2, b: 2 }), replyTo: anotherAgent })
    await until(() => forwarded.length === 1, 5000, 'another_agent to get the reply')

    const mapped: number[] = []
    for await (const reply of pow2.map(values)) {
      mapped.push(reply)
      out.print(`RECEIVED REPLY: ${repr(reply)}`)
    }
    const kvmapped: number[] = []
    for await (const reply of pow2.kvmap(items)) kvmapped.push(reply)
    out.print(`KVMAP: ${kvmapped.length} replies`)

    const joined = await pow2.join(values)
    out.print(`JOIN: ${repr(joined)}`)
    const kvjoined = await pow2.kvjoin(items)
    out.print(`KVJOIN: ${repr(kvjoined)}`)

    return {
      cast: added[0],
      ask: asked,
      sendReplyTo: forwarded[0],
      map: mapped,
      kvmap: kvmapped,
      join: joined,
      kvjoin: kvjoined,
      lines: out.lines,
    }
  } finally {
    await app.stop()
  }
}

if (isMain(import.meta.url)) await run({ echo: true })
