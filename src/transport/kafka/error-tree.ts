/**
 * Every distinct object in an error's tree: the error, its `cause`, and the `errors` of aggregates (the Kafka
 * library nests a request's failure in both), breadth first, at most `limit` of them. `accept` prunes: an object it
 * refuses is neither yielded nor walked into.
 */
export function* errorTree(
  error: unknown,
  accept: (e: object) => boolean = () => true,
  limit = 50,
): Generator<object & { errors?: unknown; cause?: unknown }> {
  const seen = new Set<unknown>()
  const queue: unknown[] = [error]
  while (queue.length > 0 && seen.size < limit) {
    const e = queue.shift()
    if (e === null || typeof e !== 'object' || seen.has(e) || !accept(e)) continue
    seen.add(e)
    const node = e as { errors?: unknown; cause?: unknown }
    yield node
    if (Array.isArray(node.errors)) queue.push(...node.errors)
    if (node.cause !== undefined) queue.push(node.cause)
  }
}
