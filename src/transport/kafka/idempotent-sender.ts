/**
 * Idempotent produce requests that stay idempotent across retries. The client library drops its producer id and
 * sequence numbers when a send fails, so a send retried after a broker restart went out under a new producer id,
 * and a first attempt that was written but whose answer was lost was stored twice. Here the producer id, epoch and
 * each partition batch's sequence numbers are fixed when a request is built and kept by every retry, so the broker
 * recognises a batch it already has and answers with its offset instead of writing it again.
 *
 * Order: a request retries only after every earlier request settled, so each partition's batches reach the broker
 * in sequence order. A batch the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID was not written:
 * once the earlier requests settled (an earlier batch was refused for good, leaving a gap, or the broker lost the
 * producer's state) it goes again under a new producer id. A batch refused for good retires the producer id, so
 * later requests do not queue behind its gap.
 *
 * Transactional producers send through it too (`transactional`): their producer id and epoch are the transaction's
 * and cannot be renewed mid-transaction, so a batch with lost sequence state fails (the transaction aborts), and
 * retries stop after `retryDeadlineMs` (the checkpoint then aborts the transaction and rewinds).
 */
import { MultipleErrors, type ProduceResult, ProtocolError, protocolErrors } from '@platformatic/kafka'
import { withRetries } from './errors.ts'
import { isRetriable } from './faults.ts'
import type { KafkaConfig } from './options.ts'
import type { Message } from './produce-requests.ts'

/** One producer id: its epoch and the next sequence number per partition (`topic:partition`). */
export interface ProducerSession {
  readonly id: bigint
  readonly epoch: number
  readonly next: Map<string, number>
}

/** The records of one partition in one request, with the producer id and first sequence they keep for good. */
export interface PartitionBatch {
  readonly topic: string
  readonly partition: number
  readonly messages: Message[]
  session: ProducerSession
  sequence: number
  /** Set once the broker answered without error. */
  offset?: bigint
  /** The last failure's error code (0: none yet); `LOST_STATE` codes lead to a new sequence. */
  errorCode: number
}

/** Answers after which the batch was certainly not written, and cannot be written with its sequence. */
const LOST_STATE = ['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID']

/** Sends a request over the wire (one leader's batches); the library's Produce API in production. */
export type SendBatches = (
  leader: { host: string; port: number },
  batches: PartitionBatch[],
) => Promise<{
  responses: { name: string; partitionResponses: { index: number; errorCode: number; baseOffset: bigint }[] }[]
}>

/** What the sender needs of the cluster: producer ids, leaders, and the wire. */
export interface SenderWire {
  initProducerId(): Promise<{ producerId: bigint; producerEpoch: number }>
  leaders(topics: string[], refresh: boolean): Promise<Map<string, { host: string; port: number }>>
  send: SendBatches
}

/** Assigns the next sequence numbers of `session` to batches (in call order: the order they reach the broker). */
export function assignSequences(session: ProducerSession, batches: PartitionBatch[]): void {
  for (const batch of batches) {
    const key = `${batch.topic}:${batch.partition}`
    const sequence = session.next.get(key) ?? 0
    // Sequence numbers wrap at 2^31 (as the Java client's).
    session.next.set(key, (sequence + batch.messages.length) % 2 ** 31)
    batch.session = session
    batch.sequence = sequence
    batch.errorCode = 0
  }
}

/** Splits a request's messages (in order) into one batch per partition. */
export function partitionBatches(messages: Message[], session: ProducerSession): PartitionBatch[] {
  // Batches by topic, then by partition number: no key string per record (keyless outputs go round-robin, so
  // consecutive records rarely share a partition).
  const byTopic = new Map<string, PartitionBatch[]>()
  const batches: PartitionBatch[] = []
  let lastTopic: string | undefined
  let lastList: PartitionBatch[] = []
  for (const message of messages) {
    const partition = message.partition ?? 0
    if (message.topic !== lastTopic) {
      lastTopic = message.topic
      let list = byTopic.get(lastTopic)
      if (list === undefined) byTopic.set(lastTopic, (list = []))
      lastList = list
    }
    let batch = lastList[partition]
    if (batch === undefined) {
      batch = { topic: message.topic, partition, messages: [], session, sequence: 0, errorCode: 0 }
      lastList[partition] = batch
      batches.push(batch)
    }
    batch.messages.push(message)
  }
  assignSequences(session, batches)
  return batches
}

/**
 * The failure of some batches of a request; `response` lists every partition's outcome (as a produce response). One
 * of the library's errors, so that its error lookups (by Kafka error id) see the broker's answers.
 */
class BatchesFailed extends MultipleErrors {
  readonly response: Awaited<ReturnType<SendBatches>>
  /** Whether every failed batch may succeed on a retry. */
  readonly retriable: boolean

  constructor(batches: PartitionBatch[], errors: unknown[], retriable: boolean) {
    super('producing failed', errors as Error[])
    this.retriable = retriable
    this.response = { responses: responsesOf(batches) }
  }
}

function responsesOf(batches: PartitionBatch[]): Awaited<ReturnType<SendBatches>>['responses'] {
  const byTopic = new Map<string, { index: number; errorCode: number; baseOffset: bigint }[]>()
  for (const b of batches) {
    let list = byTopic.get(b.topic)
    if (!list) byTopic.set(b.topic, (list = []))
    list.push({
      index: b.partition,
      errorCode: b.offset === undefined ? b.errorCode || -1 : 0,
      baseOffset: b.offset ?? -1n,
    })
  }
  return [...byTopic].map(([name, partitionResponses]) => ({ name, partitionResponses }))
}

export interface SenderOptions {
  /** The producer id and epoch are a transaction's: never renewed here (see the module comment). */
  transactional?: boolean
  /** Give up retrying a request after this long (default: as long as the broker may come back). */
  retryDeadlineMs?: number
}

export class IdempotentSender {
  readonly #config: KafkaConfig
  readonly #wire: SenderWire
  readonly #signal: AbortSignal
  readonly #transactional: boolean
  readonly #retryDeadlineMs: number | undefined
  #session: Promise<ProducerSession> | undefined
  /** Settles when every request sent so far settled. */
  #settled: Promise<void> = Promise.resolve()
  /** Counters for tests and metrics. */
  readonly stats = { sessions: 0, resequenced: 0 }

  constructor(config: KafkaConfig, wire: SenderWire, signal: AbortSignal, options: SenderOptions = {}) {
    this.#config = config
    this.#wire = wire
    this.#signal = signal
    this.#transactional = options.transactional === true
    this.#retryDeadlineMs = options.retryDeadlineMs
  }

  /** Forgets the producer id: the next request asks the wire for one (a transactional producer's new epoch). */
  reset(): void {
    this.#session = undefined
  }

  /** Sends one request's messages; call in the order the records must be written. */
  send(messages: Message[]): Promise<ProduceResult> {
    const previous = this.#settled
    // Sequences are assigned in call order: the session is awaited in order, then assigned synchronously.
    const sending = this.#currentSession().then((session) =>
      this.#deliver(partitionBatches(messages, session), previous),
    )
    const settled = sending.then(
      () => previous,
      () => previous,
    )
    this.#settled = settled
    return sending
  }

  #currentSession(): Promise<ProducerSession> {
    this.#session ??= withRetries(
      this.#config,
      'initializing the idempotent producer',
      () => this.#wire.initProducerId(),
      {
        signal: this.#signal,
      },
    ).then(
      ({ producerId, producerEpoch }) => {
        this.stats.sessions++
        return { id: producerId, epoch: producerEpoch, next: new Map() }
      },
      (error) => {
        this.#session = undefined
        throw error
      },
    )
    return this.#session
  }

  async #deliver(batches: PartitionBatch[], previous: Promise<void>): Promise<ProduceResult> {
    let attempt = 0
    let afterPrevious = false
    const once = async () => {
      attempt++
      const pending = batches.filter((b) => b.offset === undefined)
      if (attempt > 1) {
        // Earlier requests first: their batches precede ours in each partition's sequence. A batch refused as out
        // of order before they settled goes again as it was; refused again after, it needs a new sequence.
        await previous
        const lost = pending.filter((b) => LOST_STATE.some((id) => codeIs(b.errorCode, id)))
        if (afterPrevious && lost.length > 0) {
          if (this.#transactional) throw new BatchesFailed(batches, answersOf(lost), false)
          await this.#resequence(lost)
        }
        afterPrevious = true
      }
      const errors = await this.#attempt(pending, attempt > 1)
      const failed = pending.filter((b) => b.offset === undefined)
      if (failed.length === 0) return
      // Retriable: no answer, a retriable error, or a sequence the next attempt renews (the earlier requests settled).
      const retriable = failed.every(
        (b) => b.errorCode === -1 || isRetriableCode(b.errorCode) || LOST_STATE.some((id) => codeIs(b.errorCode, id)),
      )
      // The broker's answer per failed partition (as the library reports a produce response with errors), and
      // failures without an answer.
      throw new BatchesFailed(batches, [...errors, ...answersOf(failed)], retriable)
    }
    try {
      await withRetries(this.#config, 'producing', once, {
        signal: this.#signal,
        retriable: (error) => (error instanceof BatchesFailed ? error.retriable : isRetriable(error)),
        deadlineMs: this.#retryDeadlineMs,
      })
    } catch (error) {
      // A batch refused for good leaves a gap in its partition's sequence: later requests take a new producer id
      // (a transaction's cannot: it aborts, and its producer is replaced).
      const session = batches.find((b) => b.offset === undefined)?.session
      if (session !== undefined && !this.#transactional) void this.#retire(session)
      throw error
    }
    return {
      offsets: batches.map((b) => ({ topic: b.topic, partition: b.partition, offset: b.offset! })),
    } as ProduceResult
  }

  /**
   * One attempt for `batches`: one request per leader (and producer id); fills in offsets and error codes, and
   * returns the failures without a per-partition answer.
   */
  async #attempt(batches: PartitionBatch[], refresh: boolean): Promise<unknown[]> {
    const errors: unknown[] = []
    let leaders: Map<string, { host: string; port: number }>
    try {
      leaders = await this.#wire.leaders([...new Set(batches.map((b) => b.topic))], refresh)
    } catch (error) {
      for (const b of batches) b.errorCode = -1
      return [error]
    }
    const groups = new Map<string, { leader: { host: string; port: number }; batches: PartitionBatch[] }>()
    for (const b of batches) {
      const leader = leaders.get(`${b.topic}:${b.partition}`)
      if (leader === undefined) {
        b.errorCode = codeOf('LEADER_NOT_AVAILABLE')
        continue
      }
      const key = `${leader.host}:${leader.port}/${b.session.id}`
      let group = groups.get(key)
      if (!group) groups.set(key, (group = { leader, batches: [] }))
      group.batches.push(b)
    }
    await Promise.all(
      [...groups.values()].map(async ({ leader, batches: own }) => {
        let response: Awaited<ReturnType<SendBatches>> | undefined
        try {
          response = await this.#wire.send(leader, own)
        } catch (error) {
          response = (error as { response?: typeof response }).response
          // No answer (the connection failed, a timeout): whether the batches were written is unknown. Their
          // retries keep producer id and sequences, so the broker deduplicates them either way.
          if (!Array.isArray(response?.responses)) {
            for (const b of own) b.errorCode = -1
            errors.push(error)
            return
          }
        }
        for (const b of own) {
          const answer = response.responses
            .find((r) => r.name === b.topic)
            ?.partitionResponses.find((p) => p.index === b.partition)
          if (answer === undefined) b.errorCode = -1
          else if (answer.errorCode === 0) b.offset = answer.baseOffset
          else b.errorCode = answer.errorCode
        }
      }),
    )
    return errors
  }

  /** Batches not written under their producer id's sequence go again under the current (or a new) producer id. */
  async #resequence(batches: PartitionBatch[]): Promise<void> {
    for (const session of new Set(batches.map((b) => b.session))) await this.#retire(session)
    const session = await this.#currentSession()
    this.stats.resequenced += batches.length
    assignSequences(
      session,
      batches.filter((b) => b.session !== session),
    )
  }

  /** New requests stop using `session` (a new producer id is asked for), unless it was replaced already. */
  async #retire(session: ProducerSession): Promise<void> {
    const current = await this.#session?.catch(() => undefined)
    if (current === session) this.#session = undefined
  }
}

/** The broker's answers for batches it refused, as the library's errors (its lookups by Kafka error id see them). */
function answersOf(batches: PartitionBatch[]): ProtocolError[] {
  return batches.filter((b) => b.errorCode > 0).map((b) => new ProtocolError(b.errorCode, `${b.topic}-${b.partition}`))
}

function codeOf(id: string): number {
  return ERROR_CODES.get(id) ?? -1
}

function codeIs(code: number, id: string): boolean {
  return code === codeOf(id)
}

function isRetriableCode(code: number): boolean {
  const id = ERROR_IDS.get(code)
  return id !== undefined && isRetriable({ apiId: id })
}

const ERROR_CODES = new Map(Object.values(protocolErrors).map((d) => [d.id, d.code]))
const ERROR_IDS = new Map(Object.values(protocolErrors).map((d) => [d.code, d.id]))
