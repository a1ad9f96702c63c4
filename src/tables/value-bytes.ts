import type { Serde } from '../channels/serde.ts'
import { FaustusError, isFaustusError } from '../errors.ts'
import { type Codec, takesRecords } from '../models/codec.ts'

/** The stored bytes of a table value; a value the table cannot hold is a FST_TABLE_VALUE naming the table. */
export function valueBytes(
  table: string,
  value: unknown,
  serde: Serde,
  codec: Codec,
  recordType: (abstract new (...args: any) => unknown) | undefined,
): Buffer {
  let bytes: Buffer | null
  try {
    // A topic serializer sends a Buffer as it is (already encoded); a table value is a value, not its encoding.
    if (value instanceof Uint8Array && codec.name !== 'raw') {
      if (recordType !== undefined || takesRecords(codec)) {
        throw new FaustusError(
          'FST_TABLE_VALUE',
          `table "${table}": a Buffer value cannot be stored as ${recordType === undefined ? 'JSON' : 'a record'}: decode ` +
            "it first (a topic's valueType), or give the table valueType 'raw'",
          { details: { table } },
        )
      }
      bytes = codec.encode(value)
    } else bytes = serde.encode(value)
  } catch (error) {
    if (isFaustusError(error, 'FST_TABLE_VALUE')) throw error
    throw new FaustusError('FST_TABLE_VALUE', `table "${table}": invalid value: ${(error as Error).message}`, {
      cause: error,
      details: { table },
    })
  }
  if (bytes === null) {
    throw new FaustusError('FST_TABLE_VALUE', `table "${table}": a value cannot be null or undefined (delete the key)`)
  }
  return bytes
}
