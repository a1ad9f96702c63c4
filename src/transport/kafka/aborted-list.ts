/**
 * read_committed filtering is ours (records.ts), not the client library's. The library's consumer filters a
 * read_committed fetch response itself, keeping one range per producer id: from the first offset of the producer's
 * last listed aborted transaction to the producer's last ABORT marker in the response. A transaction aborted with
 * nothing written in the partition (its partition added, its send lost in a broker restart) leaves an ABORT marker
 * that the broker does not list as an aborted transaction; the library then takes that marker as the range's end and
 * drops every committed transaction of the producer in between. An exactly-once worker keeps one producer id across
 * its transactions, so a table recovering from its changelog lost every committed change since the previous abort.
 *
 * The Fetch API the library calls is wrapped: each partition's aborted-transaction list is moved aside before the
 * library's filter sees it (finding none, the filter keeps every batch), and `abortedTransactionsOf` hands it to ours.
 */
import type { API, Callback, fetchV17 } from '@platformatic/kafka'
import type { AbortedTransaction } from './records.ts'

type FetchPartition = fetchV17.FetchResponse['responses'][number]['partitions'][number]

const ABORTED = Symbol('faustus.abortedTransactions')

type WithAborted = FetchPartition & { [ABORTED]?: AbortedTransaction[] | null }

/** The aborted transactions the broker listed for a partition of a fetch response. */
export function abortedTransactionsOf(partition: FetchPartition): readonly AbortedTransaction[] | null | undefined {
  const own = partition as WithAborted
  return ABORTED in own ? own[ABORTED] : partition.abortedTransactions
}

type AnyApi = API<unknown[], unknown>

const wrapped = new WeakMap<AnyApi, AnyApi>()

/** The library's Fetch API, with each response's aborted-transaction lists moved out of the library's reach. */
export function withOwnAbortedFilter<A extends AnyApi>(api: A): A {
  let wrapper = wrapped.get(api)
  if (wrapper === undefined) {
    const fetch = (connection: Parameters<AnyApi>[0], ...args: unknown[]) => {
      const callback = args.pop() as Callback<unknown>
      api(connection, ...args, (error: Error | null, result?: unknown) => {
        const response = (result ?? (error as { response?: unknown } | null)?.response) as
          | fetchV17.FetchResponse
          | undefined
        if (response?.responses) moveAbortedLists(response)
        callback(error, result)
      })
    }
    wrapper = Object.assign(fetch, { async: api.async, key: api.key, version: api.version }) as AnyApi
    wrapped.set(api, wrapper)
  }
  return wrapper as A
}

function moveAbortedLists(response: fetchV17.FetchResponse): void {
  for (const topic of response.responses) {
    for (const partition of topic.partitions) {
      const own = partition as WithAborted
      if (ABORTED in own) continue
      own[ABORTED] = partition.abortedTransactions
      partition.abortedTransactions = null
    }
  }
}
