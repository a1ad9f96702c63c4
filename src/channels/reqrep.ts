import { DecodeError, type MessageOrigin } from '../errors.ts'
import type { ReplyRequest } from '../streams/event.ts'

/**
 * Faust's request/reply envelopes (faust/agents/replies.py and models). With reply headers off (Faust's default)
 * an ask wraps the request value:
 *   {"value": <value>, "reply_to": "<topic>", "correlation_id": "<uuid>", "__faust": {"ns": "@ReqRepRequest"}}
 * With them on, the value is sent as is and these headers carry the two fields.
 */
export const REPLY_TO_HEADER = 'Faust-Ag-ReplyTo'
export const CORRELATION_ID_HEADER = 'Faust-Ag-CorrelationId'
const REQUEST_NS = '@ReqRepRequest'
const RESPONSE_NS = '@ReqRepResponse'
/**
 * When the value is a record, Faust uses subclasses whose `value` field is typed as a model, so the receiver
 * rebuilds the record from its `__faust.ns` (with the plain classes it stays a dict). They have no explicit
 * namespace, so theirs is the Python module path. Checked against faust-streaming 0.15 (test/interop/ask.test.ts).
 */
const MODEL_REQUEST_NS = 'faust.agents.models.ModelReqRepRequest'
const MODEL_RESPONSE_NS = 'faust.agents.models.ModelReqRepResponse'
const REQUEST_NAMESPACES = new Set([REQUEST_NS, MODEL_REQUEST_NS])
const REQUEST_MARKERS = [Buffer.from(`"${REQUEST_NS}"`), Buffer.from(`"${MODEL_REQUEST_NS}"`)]
/** A record's JSON ends with its `__faust` object; a nested one would be followed by more closing braces. */
const RECORD_TAIL = /"__faust":\{"ns":"[^"\\]*"\}\}$/

function isRecordJson(text: string): boolean {
  return text.endsWith('"}}') && RECORD_TAIL.test(text)
}

/** Wraps an already JSON-encoded value in a request envelope, keeping its bytes as they are. */
export function wrapRequest(encodedValue: Buffer | null, request: ReplyRequest): Buffer {
  const value = encodedValue === null ? 'null' : encodedValue.toString('utf8')
  const ns = isRecordJson(value) ? MODEL_REQUEST_NS : REQUEST_NS
  return Buffer.from(
    `{"value":${value},"reply_to":${JSON.stringify(request.replyTo)},"correlation_id":${JSON.stringify(
      request.correlationId,
    )},"__faust":{"ns":"${ns}"}}`,
  )
}

/**
 * A cheap pre-check run on every consumed value: envelopes end with their `__faust` field (Faust writes it last),
 * so only the bytes before the closing braces are compared with the namespaces, without searching or allocating
 * (a loop, not `some`: no closure per record).
 */
function mayBeRequest(payload: Buffer): boolean {
  let end = payload.length
  if (end < REQUEST_MARKERS[0].length || payload[end - 1] !== 0x7d) return false
  // Skips the closing braces and any whitespace between them (Python's json.dumps writes ", " and ": ").
  while (end > 0 && (payload[end - 1] === 0x7d || isJsonSpace(payload[end - 1]))) end--
  for (let i = 0; i < REQUEST_MARKERS.length; i++) if (endsWith(payload, end, REQUEST_MARKERS[i])) return true
  return false
}

function isJsonSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09
}

function endsWith(payload: Buffer, end: number, marker: Buffer): boolean {
  const start = end - marker.length
  if (start < 0) return false
  for (let i = marker.length - 1; i >= 0; i--) if (payload[start + i] !== marker[i]) return false
  return true
}

/** If `payload` is a request envelope, its reply fields and the inner value re-encoded as JSON bytes. */
export function unwrapRequest(
  payload: Buffer | null,
  origin: MessageOrigin,
): { request: ReplyRequest; inner: Buffer | null } | undefined {
  if (payload === null || !mayBeRequest(payload)) return undefined
  let envelope: { value?: unknown; reply_to?: unknown; correlation_id?: unknown; __faust?: { ns?: unknown } }
  try {
    envelope = JSON.parse(payload.toString('utf8'))
  } catch (cause) {
    throw new DecodeError('invalid JSON in a request envelope', origin, { cause })
  }
  if (!REQUEST_NAMESPACES.has(envelope?.__faust?.ns as string)) return undefined
  if (typeof envelope.reply_to !== 'string' || typeof envelope.correlation_id !== 'string') {
    throw new DecodeError('request envelope without reply_to/correlation_id', origin)
  }
  const inner = envelope.value === undefined || envelope.value === null ? null : JSON.stringify(envelope.value)
  return {
    request: { replyTo: envelope.reply_to, correlationId: envelope.correlation_id },
    inner: inner === null ? null : Buffer.from(inner),
  }
}

/** Reads the reply headers, when an ask used them. */
export function requestFromHeaders(headers: Record<string, Buffer>): ReplyRequest | null {
  const replyTo = headers[REPLY_TO_HEADER]
  const correlationId = headers[CORRELATION_ID_HEADER]
  if (replyTo === undefined || correlationId === undefined) return null
  return { replyTo: replyTo.toString('utf8'), correlationId: correlationId.toString('utf8') }
}

export interface ReplyEnvelope {
  key: unknown
  value: unknown
  correlationId: string
}

/**
 * The reply, as Faust writes it: {"key", "value", "correlation_id", "__faust": {"ns": "@ReqRepResponse"}}, or
 * with the ns `faust.agents.models.ModelReqRepResponse` when the value is a record.
 */
export function encodeReply(key: unknown, encodedValue: string, correlationId: string): Buffer {
  const ns = isRecordJson(encodedValue) ? MODEL_RESPONSE_NS : RESPONSE_NS
  return Buffer.from(
    `{"key":${JSON.stringify(key ?? null)},"value":${encodedValue},"correlation_id":${JSON.stringify(
      correlationId,
    )},"__faust":{"ns":"${ns}"}}`,
  )
}

export function decodeReply(payload: Buffer | null, origin: MessageOrigin): ReplyEnvelope {
  let envelope: { key?: unknown; value?: unknown; correlation_id?: unknown }
  try {
    envelope = JSON.parse(payload?.toString('utf8') ?? 'null')
  } catch (cause) {
    throw new DecodeError('invalid JSON in a reply', origin, { cause })
  }
  if (typeof envelope?.correlation_id !== 'string') throw new DecodeError('reply without correlation_id', origin)
  return { key: envelope.key ?? null, value: envelope.value ?? null, correlationId: envelope.correlation_id }
}
