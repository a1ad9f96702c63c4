import { randomUUID } from 'node:crypto'
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
}

/**
 * Sends every item as a request and yields replies as they arrive. Sending runs ahead of consumption so the
 * agent works in parallel; each reply has its own timeout.
 */
export async function* kvmap<V, K, R>(
  call: AgentCall<V, K>,
  items: Iterable<[K | undefined, V]> | AsyncIterable<[K | undefined, V]>,
  options: { timeout?: number },
): AsyncGenerator<R> {
  const indexed = kvmapIndexed<V, K, R>(call, items, options)
  for await (const [, result] of indexed) yield result
}

/** As kvmap, with each result's position in the input. */
async function* kvmapIndexed<V, K, R>(
  call: AgentCall<V, K>,
  items: Iterable<[K | undefined, V]> | AsyncIterable<[K | undefined, V]>,
  options: { timeout?: number },
): AsyncGenerator<[number, R]> {
  const waiter = await call.waiter()
  const timeout = options.timeout ?? call.timeoutMs
  const ready: [number, R][] = []
  let failure: { error: unknown } | undefined
  let outstanding = 0
  let sendingDone = false
  let wake: (() => void) | undefined
  const notify = () => {
    wake?.()
    wake = undefined
  }
  const sending = (async () => {
    let index = 0
    for await (const [key, value] of items) {
      const position = index++
      const correlationId = randomUUID()
      outstanding++
      waiter.expect(correlationId, timeout, call.agent.name).then(
        (result) => {
          outstanding--
          ready.push([position, result as R])
          notify()
        },
        (error) => {
          outstanding--
          failure ??= { error }
          notify()
        },
      )
      await call.agent.channel.send({ key, value, request: { replyTo: waiter.topicName, correlationId } })
    }
  })().then(
    () => {
      sendingDone = true
      notify()
    },
    (error) => {
      failure ??= { error }
      sendingDone = true
      notify()
    },
  )
  for (;;) {
    while (ready.length > 0) yield ready.shift()!
    if (failure) throw failure.error
    if (sendingDone && outstanding === 0) break
    await new Promise<void>((resolve) => {
      wake = resolve
    })
  }
  await sending
}

/** Sends every item and returns all results in input order. */
export async function kvjoin<V, K, R>(
  call: AgentCall<V, K>,
  items: Iterable<[K | undefined, V]> | AsyncIterable<[K | undefined, V]>,
  options: { timeout?: number },
): Promise<R[]> {
  const results: R[] = []
  for await (const [position, result] of kvmapIndexed<V, K, R>(call, items, options)) results[position] = result
  return results
}
