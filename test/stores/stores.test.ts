import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { isFaustusError } from '../../src/errors.ts'
import { LmdbStoreProvider, MemoryStoreProvider, storeProvider } from '../../src/stores/index.ts'
import { storeContract } from './contract.ts'

const tempDir = () => mkdtempSync(join(tmpdir(), 'faustus-store-'))

storeContract('memory', () => ({ provider: new MemoryStoreProvider(), reopen: null }))
storeContract('lmdb', () => {
  const dir = tempDir()
  return { provider: new LmdbStoreProvider(dir, 'app'), reopen: () => new LmdbStoreProvider(dir, 'app') }
})

describe('store providers', () => {
  it('picks the store from the URL', () => {
    expect(storeProvider('memory://', 'a').kind).toBe('memory')
    expect(storeProvider('lmdb:///tmp/x', 'a').kind).toBe('lmdb')
    expect(() => storeProvider('rocksdb://x', 'a')).toThrow(/unknown table store/)
  })

  it('an LMDB directory in use by another app of this process is FST_STORE_LOCKED', async () => {
    const dir = tempDir()
    const first = new LmdbStoreProvider(dir, 'app')
    first.open('t', 0)
    const second = new LmdbStoreProvider(dir, 'app')
    let error: unknown
    try {
      second.open('t', 0)
    } catch (e) {
      error = e
    }
    expect(isFaustusError(error, 'FST_STORE_LOCKED')).toBe(true)
    expect((error as Error).message).toMatch(/own store directory/)
    await first.close()
    // Released on close: another provider may open it now.
    second.open('t', 0).put(Buffer.from('a'), Buffer.from('b'))
    await second.close()
  })

  it('an LMDB directory locked by another live process is FST_STORE_LOCKED; a dead owner is taken over', async () => {
    const dir = tempDir()
    const path = join(dir, 'app')
    // A live process other than us: our parent.
    const { mkdirSync } = await import('node:fs')
    mkdirSync(path, { recursive: true })
    writeFileSync(join(path, 'LOCK'), String(process.ppid))
    const provider = new LmdbStoreProvider(dir, 'app')
    expect(() => provider.open('t', 0)).toThrow(expect.objectContaining({ code: 'FST_STORE_LOCKED' }))
    // A pid that is not running: the lock is stale.
    const dead = Number(execFileSync(process.execPath, ['-e', 'console.log(process.pid)']).toString().trim())
    writeFileSync(join(path, 'LOCK'), String(dead))
    provider.open('t', 0).put(Buffer.from('a'), Buffer.from('b'))
    await provider.close()
  })
})
