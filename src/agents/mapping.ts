import { randomUUID } from 'node:crypto'
import { FaustusError } from '../errors.ts'
import type { ReplyWaiter } from './replies.ts'

/** What map/join need of an agent. */
export interface AgentCall<V, K> {
  agent: {
    readonly name: string
    readonly channel: {
      send(message: { key?: K; value: V; request?: { replyTo: string; correlationId: string } }): Promise<unknown>
    }
  }
  waiter(): Promise<ReplyWaiter>
  timeoutMs: number
  /** Default window: requests sent whose result the caller has not taken yet (the `mapMaxInFlight` setting). */
  maxInFlight: number
}

export interface MapOptions {
  /** Milliseconds each reply may take; default the app's `askTimeoutMs`. */
  timeout?: number
  /** Requests outstanding at once (sent, result not yet taken); default the app's `mapMaxInFlight`. */
  maxInFlight?: number
}

type Items<T> = Iterable<T> | AsyncIterable<T>
type Pair<K, V> = [K | undefined, V]

/**
 * Streams results as they come (out of order). Items are pulled and sent only while fewer than `maxInFlight`
 * requests are outstanding, so an infinite input works, the first results come before the input is exhausted,
 * and a caller leaving the loop early stops the sending (the input's `return()` is called).
 */
export async function* kvmap<V, K, R>(
  call: AgentCall<V, K>,
  items: Items<Pair<K, V>>,
  options: MapOptions,
): AsyncGenerator<R> {
  for await (const [, result] of exchange<V, K, R>(call, items, options)) yield result
}

/**
 * All results in input order. Sends with the same bounded window as `kvmap`; results are kept by input position
 * as they come, so only the answers (not the requests) are held. Never returns for an infinite input (as Faust).
 */
export async function kvjoin<V, K, R>(
  call: AgentCall<V, K>,
  items: Items<Pair<K, V>>,
  options: MapOptions,
): Promise<R[]> {
  const results: R[] = []
  for await (const [position, result] of exchange<V, K, R>(call, items, options)) results[position] = result
  return results
}

function windowSize(options: MapOptions, call: AgentCall<unknown, unknown>): number {
  const size = options.maxInFlight ?? call.maxInFlight
  if (!Number.isInteger(size) || size < 1) {
    throw new FaustusError('FST_APP_DEFINITION', `maxInFlight must be a positive integer (got ${size})`)
  }
  return size
}

/** The iterator of a sync or async iterable. */
export function iteratorOf<T>(items: Items<T>): Iterator<T> | AsyncIterator<T> {
  const asyncFactory = (items as AsyncIterable<T>)[Symbol.asyncIterator]
  if (typeof asyncFactory === 'function') return asyncFactory.call(items)
  const syncFactory = (items as Iterable<T>)[Symbol.iterator]
  if (typeof syncFactory === 'function') return syncFactory.call(items)
  throw new FaustusError('FST_APP_DEFINITION', 'map/join need an iterable or an async iterable of values')
}

/**
 * The request/reply exchange behind map and join: yields `[input position, result]` as replies arrive. A request
 * counts against the window from its send until its result is handed out, which bounds memory too. On early exit
 * or failure, the requests still waiting are forgotten (their late replies are dropped) and the input is closed.
 */
async function* exchange<V, K, R>(
  call: AgentCall<V, K>,
  items: Items<Pair<K, V>>,
  options: MapOptions,
): AsyncGenerator<[number, R]> {
  const window = windowSize(options, call as AgentCall<unknown, unknown>)
  const iterator = iteratorOf(items)
  const waiter = await call.waiter()
  const timeout = options.timeout ?? call.timeoutMs
  const agentName = call.agent.name
  const ready: [number, R][] = []
  const waiting = new Set<string>()
  let outstanding = 0
  let failure: { error: unknown } | undefined
  let stopped = false
  let sendingDone = false
  let wakeConsumer: (() => void) | undefined
  let wakeSender: (() => void) | undefined
  const notify = () => {
    wakeConsumer?.()
    wakeConsumer = undefined
  }
  const fail = (error: unknown) => {
    failure ??= { error }
    notify()
  }

  const send = async () => {
    let position = 0
    // Whether the input still needs closing: not when it ended, or failed in its own next().
    let open = true
    try {
      while (!stopped && failure === undefined) {
        if (outstanding >= window) {
          await new Promise<void>((resolve) => {
            wakeSender = resolve
          })
          continue
        }
        let step: IteratorResult<Pair<K, V>>
        try {
          step = await iterator.next()
        } catch (error) {
          open = false
          throw error
        }
        if (step.done) {
          open = false
          break
        }
        if (stopped || failure !== undefined) break
        const index = position++
        const [key, value] = step.value
        const correlationId = randomUUID()
        outstanding++
        waiting.add(correlationId)
        waiter.expect(correlationId, timeout, agentName).then(
          (result) => {
            waiting.delete(correlationId)
            ready.push([index, result as R])
            notify()
          },
          (error) => {
            waiting.delete(correlationId)
            fail(error)
          },
        )
        // Not awaited one by one: the window's sends go out together, as the producer batches them.
        call.agent.channel
          .send({ key, value, request: { replyTo: waiter.topicName, correlationId } })
          .catch((error) => {
            waiter.forget(correlationId)
            waiting.delete(correlationId)
            fail(error)
          })
      }
    } catch (error) {
      fail(error)
    } finally {
      if (open) {
        try {
          await iterator.return?.()
        } catch (error) {
          fail(error)
        }
      }
      sendingDone = true
      notify()
    }
  }
  void send()

  try {
    let next = 0
    for (;;) {
      if (next < ready.length) {
        const item = ready[next++]
        if (next === ready.length) {
          ready.length = 0
          next = 0
        }
        outstanding--
        wakeSender?.()
        wakeSender = undefined
        yield item
        continue
      }
      if (failure !== undefined) throw failure.error
      if (sendingDone && waiting.size === 0) return
      await new Promise<void>((resolve) => {
        wakeConsumer = resolve
      })
    }
  } finally {
    // The caller left (break, return, throw) or everything is done: send nothing more, wait for nothing more.
    stopped = true
    wakeSender?.()
    wakeSender = undefined
    for (const correlationId of waiting) waiter.forget(correlationId)
    waiting.clear()
  }
}
