/** Worker processes of the web fixture, started through the CLI with their own web port. */
import { type ChildProcess, spawn } from 'node:child_process'
import { join } from 'node:path'
import { waitFor } from '../helpers.ts'
import { freePort } from '../web/helpers.ts'

const root = join(import.meta.dirname, '..', '..')
const node = join(root, 'node_modules', '.bin', 'node')
const fixture = join(import.meta.dirname, 'fixtures', 'web-worker.ts')

export interface WebWorker {
  name: string
  url: string
  child: ChildProcess
  exited: Promise<number | null>
}

/** Starts `faustus -A web-worker.ts worker --web-port N` and resolves once its web server answers. */
export async function startWebWorker(name: string, run: string, kafka: string): Promise<WebWorker> {
  const port = await freePort()
  const child = spawn(node, [join(root, 'bin', 'faustus.js'), '-A', fixture, 'worker', '--web-port', String(port)], {
    env: {
      ...process.env,
      WEB_RUN: run,
      FAUSTUS_TEST_KAFKA: kafka,
      FAUSTUS_LOG_LEVEL: process.env.FAUSTUS_TEST_LOG ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  let gone = false
  void exited.then(() => {
    gone = true
  })
  await waitFor(
    async () => {
      if (gone) throw new Error(`worker ${name} exited before its web server answered`)
      return (await fetch(`${url}/health`)).ok ? true : undefined
    },
    60_000,
    `worker ${name} web server`,
    { retryErrors: true, intervalMs: 50 },
  )
  return { name, url, child, exited }
}

export async function stopWebWorker(worker: WebWorker): Promise<number | null> {
  worker.child.kill('SIGTERM')
  return worker.exited
}

export async function waitReady(worker: WebWorker): Promise<void> {
  await waitFor(
    async () => ((await fetch(`${worker.url}/ready`)).status === 200 ? true : undefined),
    60_000,
    `${worker.name} ready`,
    { retryErrors: true, intervalMs: 50 },
  )
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const response = await fetch(url)
  const text = await response.text()
  return { status: response.status, body: text.length > 0 ? JSON.parse(text) : undefined }
}
