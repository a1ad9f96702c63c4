// At-least-once: a closed window's tombstone goes to the changelog only after a checkpoint's flush covered its
// final result. A window closed while a checkpoint runs (events go on meanwhile) waits for the next checkpoint.
import { expect, it } from 'vitest'
import type { ChangelogWriter } from '../../src/tables/changelog.ts'
import { ClosedWindowTombstones } from '../../src/tables/closed-tombstones.ts'
import type { ProduceRecord } from '../../src/transport/types.ts'

const tombstone = (key: string): ProduceRecord => ({ topic: 'c', partition: 0, key: Buffer.from(key), value: null })

it('releases at step 3 only the tombstones waiting when the checkpoint began', () => {
  const written: string[] = []
  const writer = {
    append: (record: ProduceRecord) => written.push(record.key!.toString()),
  } as unknown as ChangelogWriter
  const tombstones = new ClosedWindowTombstones()
  tombstones.defer = true
  tombstones.write(tombstone('a'), writer)
  tombstones.seal() // step 1: a's final result was sent before; the flush covers it
  tombstones.write(tombstone('b'), writer) // closed during the flush: its result may come after the flush settled
  tombstones.release(writer) // step 3
  expect(written).toEqual(['a'])
  tombstones.seal()
  tombstones.release(writer)
  expect(written).toEqual(['a', 'b'])
  tombstones.write(tombstone('c'), writer)
  tombstones.seal()
  tombstones.discard() // an abort
  tombstones.release(writer)
  expect(written).toEqual(['a', 'b'])
})
