/**
 * Records both ways, byte for byte, against the real faust-streaming (no broker needed). The vectors in
 * vectors/records.json were written by Python Faust (`python test/interop/py/records.py gen`); here Faustus must
 * write the same bytes and read them to the same values, and then Python must read what Faustus wrote.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { decodeReply, encodeReply, unwrapRequest, wrapRequest } from '../../src/channels/reqrep.ts'
import { json, records } from '../../src/index.ts'
import { serializerFor } from '../../src/models/index.ts'
import './models.ts'
import { fromNeutral, type RecordVector } from './neutral.ts'
import { faustPython, ROOT, runPython } from './python.ts'

const VECTORS_PATH = join(ROOT, 'test/interop/vectors/records.json')
const document = JSON.parse(readFileSync(VECTORS_PATH, 'utf8'))
const vectors: RecordVector[] = document.vectors
const envelopes: {
  name: string
  wire: string
  value_wire: string
  reply_to: string | null
  correlation_id: string
  key: string | null
}[] = document.envelopes
const skip = process.env.FAUSTUS_TEST_FAUST_SKIP

function modelOf(vector: RecordVector) {
  const cls = records.get(vector.model)
  if (cls === undefined) throw new Error(`no Faustus record ${vector.model}`)
  return cls
}

describe('Faustus reads and writes the Python-written vectors', () => {
  test('the vectors cover the cases the issue names', () => {
    const names = vectors.map((v) => v.name)
    for (const prefix of ['point', 'item-unicode', 'order-full', 'order-defaults', 'reading', 'ledger', 'payment']) {
      expect(names.some((n) => n.startsWith(prefix))).toBe(true)
    }
  })

  test.each(vectors.map((v) => [v.name, v] as const))('%s: decodes to the same values', (_name, vector) => {
    const serializer = serializerFor(modelOf(vector))
    const decoded = serializer.decode(Buffer.from(vector.wire, 'utf8'))
    const expected = fromNeutral(vector.fields) as object
    // Polymorphism: a topic typed with the base record yields the subclass the payload names.
    expect(decoded?.constructor).toBe(expected.constructor)
    expect(decoded).toEqual(expected)
  })

  test.each(vectors.filter((v) => v.direction === 'both').map((v) => [v.name, v] as const))(
    '%s: encodes to the same bytes',
    (_name, vector) => {
      const value = fromNeutral(vector.fields)
      expect(json.encode(value).toString('latin1')).toBe(vector.wire)
      // And what was decoded re-encodes to the same bytes.
      const decoded = serializerFor(modelOf(vector)).decode(Buffer.from(vector.wire, 'utf8'))
      expect(serializerFor(modelOf(vector)).encode(decoded)?.toString('latin1')).toBe(vector.wire)
    },
  )
})

describe('request/reply envelopes are byte for byte those of Faust', () => {
  const origin = { topic: 't', partition: 0, offset: 0 }
  test.each(envelopes.filter((e) => e.name.startsWith('request')).map((e) => [e.name, e] as const))(
    '%s',
    (_name, e) => {
      const request = { replyTo: e.reply_to!, correlationId: e.correlation_id }
      expect(wrapRequest(Buffer.from(e.value_wire), request).toString('latin1')).toBe(e.wire)
      const unwrapped = unwrapRequest(Buffer.from(e.wire), origin)
      expect(unwrapped?.request).toEqual(request)
      expect(JSON.parse(unwrapped!.inner!.toString())).toEqual(JSON.parse(e.value_wire))
    },
  )
  test('an envelope spaced as Python json.dumps writes it is recognised; a value merely ending in "}" is not', () => {
    const spaced = Buffer.from(
      '{"value": 1, "reply_to": "r", "correlation_id": "c", "__faust": {"ns": "@ReqRepRequest"} }\n',
    )
    expect(unwrapRequest(spaced.subarray(0, spaced.length - 1), origin)?.request).toEqual({
      replyTo: 'r',
      correlationId: 'c',
    })
    expect(unwrapRequest(Buffer.from('{"id":0,"text":"@ReqRepRequest"}'), origin)).toBeUndefined()
    expect(unwrapRequest(Buffer.from('{"a":{"b":{}}}'), origin)).toBeUndefined()
  })
  test.each(envelopes.filter((e) => e.name.startsWith('response')).map((e) => [e.name, e] as const))(
    '%s',
    (_name, e) => {
      expect(encodeReply(e.key, e.value_wire, e.correlation_id).toString('latin1')).toBe(e.wire)
      expect(decodeReply(Buffer.from(e.wire), origin)).toEqual({
        key: e.key,
        value: JSON.parse(e.value_wire),
        correlationId: e.correlation_id,
      })
    },
  )
})

describe.skipIf(skip !== undefined)('Python Faust reads what Faustus writes', () => {
  const faust = faustPython()

  test('faust-streaming writes every vector byte for byte, and reads Faustus bytes to the same fields', async () => {
    const encoded: Record<string, string> = {}
    for (const vector of vectors) {
      if (vector.direction === 'both') encoded[vector.name] = json.encode(fromNeutral(vector.fields)).toString('utf8')
    }
    const dir = mkdtempSync(join(tmpdir(), 'faustus-interop-'))
    const tsPath = join(dir, 'faustus-wire.json')
    writeFileSync(tsPath, JSON.stringify(encoded))
    const report = JSON.parse(await runPython(faust.path, 'records.py', ['check', VECTORS_PATH, tsPath]))
    expect(report.failures).toEqual([])
    expect(report.checked).toBe(vectors.length)
  })
})

if (skip !== undefined) {
  describe('Python Faust interop', () => {
    test.skip(`skipped: ${skip}`, () => {})
  })
}
