// The seed's command against a worker in another process, on a real broker: `faustus -A examples/agent.ts worker`
// in one process, `faustus -A examples/agent.ts send_value 4 8 --print --broker kafka://...` in another.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, inject, it } from 'vitest'

const root = join(import.meta.dirname, '..', '..')
const bin = join(root, 'bin', 'faustus.js')
const node = join(root, 'node_modules', '.bin', 'node')
let worker: ChildProcess | undefined

afterAll(() => {
  worker?.kill('SIGKILL')
})

describe('faustus CLI on Kafka', () => {
  it('send_value asks the agent of a worker running in another process', async () => {
    const broker = `kafka://${inject('kafkaBootstrap')}`
    worker = spawn(node, [bin, '-A', 'examples/agent.ts', 'worker', '-l', 'info', '--broker', broker], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    await new Promise<void>((resolve, reject) => {
      let log = ''
      worker!.stderr!.on('data', (data: Buffer) => {
        log += data.toString()
        if (log.includes('app started')) resolve()
      })
      worker!.on('exit', (code) => reject(new Error(`worker exited with ${code}:\n${log}`)))
    })
    const { stdout } = await promisify(execFile)(
      node,
      [bin, '-A', 'examples/agent.ts', 'send_value', '4', '8', '--print', '--broker', broker],
      { cwd: root, timeout: 60_000 },
    )
    expect(stdout).toBe('Sending Add(4, 8)...\n12\n')
    const exited = new Promise((resolve) => worker!.on('exit', resolve))
    worker.kill('SIGTERM')
    expect(await exited).toBe(0)
    worker = undefined
  })
})
