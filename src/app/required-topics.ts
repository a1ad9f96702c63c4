import { FaustusError } from '../errors.ts'
import type { Transport } from '../transport/types.ts'

/** Fails, naming them, when topics the app cannot do without are missing and it may not create them. */
export async function requireTopics(transport: Transport, names: string[], what: string): Promise<void> {
  if (names.length === 0) return
  const found = await transport.describeTopics(names)
  const missing = names.filter((name) => !found.has(name))
  if (missing.length === 0) return
  throw new FaustusError(
    'FST_TOPIC_UNKNOWN',
    `${what}${missing.length > 1 ? 's' : ''} ${missing.map((n) => `"${n}"`).join(', ')} missing, and ` +
      'topicAllowDeclare is off: create it, or allow the app to create its topics',
    { details: { topics: missing } },
  )
}
