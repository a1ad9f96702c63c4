import { describe, expect, it } from 'vitest'
import { OutputWindow } from '../../src/app/outputs.ts'

describe('OutputWindow', () => {
  it('does not make senders wait, and settles when every send is acknowledged', async () => {
    const failures: unknown[] = []
    const window = new OutputWindow((error) => failures.push(error))
    let ack!: () => void
    const sent = new Promise<[]>((resolve) => {
      ack = () => resolve([])
    })
    expect(window.add(sent, 1)).toBeUndefined()
    let settled = false
    const settling = window.settled().then(() => {
      settled = true
    })
    // Every promise that could settle without the ack has settled after one turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve))
    expect(settled).toBe(false)
    ack()
    await settling
    expect(failures).toEqual([])
  })

  it('reports the first failure at once and fails every later checkpoint until reset', async () => {
    const failures: unknown[] = []
    const window = new OutputWindow((error) => failures.push(error))
    window.add(Promise.reject(new Error('broker said no')), 1)
    window.add(Promise.reject(new Error('again')), 1)
    await expect(window.settled()).rejects.toMatchObject({ code: 'FST_TRANSPORT' })
    await expect(window.settled()).rejects.toMatchObject({ code: 'FST_TRANSPORT' })
    expect(failures).toHaveLength(1)
    window.reset()
    await expect(window.settled()).resolves.toBeUndefined()
  })

  it('makes senders wait once the bytes sent and not acknowledged reach its byte bound', async () => {
    const window = new OutputWindow(() => {}, 4096)
    expect(window.reserve(3000)).toBeUndefined()
    let ack!: () => void
    const sent = new Promise<[]>((resolve) => {
      ack = () => resolve([])
    })
    window.track(sent, 1, 3000)
    const full = window.reserve(2000)
    expect(full).toBeDefined()
    window.track(Promise.resolve([]), 1, 2000)
    ack()
    await full
    await window.settled()
  })
})
