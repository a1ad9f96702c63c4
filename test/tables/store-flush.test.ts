import { afterEach, describe, expect, it, vi } from 'vitest'
import { appServices } from '../../src/app/app.ts'
import type { Stream } from '../../src/index.ts'
import { LmdbStoreProvider } from '../../src/stores/lmdb.ts'
import { waitFor } from '../helpers.ts'
import { lmdbDir, memoryBroker, stopWorkers, worker } from './helpers.ts'

afterEach(async () => {
  vi.restoreAllMocks()
  await stopWorkers()
})

describe('store flushes at checkpoints', () => {
  it('interval checkpoints and app.commit() always flush the stores; ack-count ones at most once a second', async () => {
    const flush = vi.spyOn(LmdbStoreProvider.prototype, 'flush')
    const app = worker('flush', memoryBroker(), { store: `lmdb://${lmdbDir()}` })
    const words = app.topic('words', { valueType: 'json' })
    const counts = app.table<string, number>('counts', { default: () => 0 })
    let processed = 0
    app.agent(words, async function count(stream: Stream<string>) {
      for await (const word of stream) {
        counts.update(word, (n) => n + 1)
        processed++
      }
    })
    await app.start()
    for (const word of ['a', 'b', 'a']) await words.send({ key: word, value: word })
    await waitFor(() => processed === 3)
    const tables = appServices(app).tables

    flush.mockClear()
    tables.afterFlush('interval')
    expect(flush).toHaveBeenCalledTimes(1)
    // Right after a flush, an ack-count checkpoint leaves the stores to the next one (the changelog backs them).
    tables.afterFlush('acks')
    expect(flush).toHaveBeenCalledTimes(1)
    tables.afterFlush('revoke')
    expect(flush).toHaveBeenCalledTimes(2)

    flush.mockClear()
    await app.commit()
    expect(flush).toHaveBeenCalled()
  })
})
