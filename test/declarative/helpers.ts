import { randomUUID } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { applyManifests, loadManifests } from '../../src/declarative/index.ts'
import { App, type AppOptions } from '../../src/index.ts'
import { testApp } from '../helpers.ts'

/** A fresh directory holding `files` (name → YAML text); returns its path. */
export function manifestDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'faustus-manifests-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  return dir
}

/** A unique memory broker URL, so apps of one test share it and no other test sees it. */
export function memoryBroker(): string {
  return `memory://declarative-${randomUUID()}`
}

export const quiet: AppOptions = { logLevel: (process.env.FAUSTUS_TEST_LOG as never) ?? 'silent', topicPartitions: 4 }

export interface Received {
  key: string | undefined
  value: unknown
  partition: number | undefined
  headers: Record<string, string>
}

/** An app on `broker` recording what arrives on `topics`. */
export function collector(broker: string, topics: string[], id = `collector-${randomUUID().slice(0, 8)}`) {
  const app = new App(id, { ...quiet, broker })
  const received: Record<string, Received[]> = Object.fromEntries(topics.map((topic) => [topic, []]))
  for (const topic of topics) {
    app.agent(
      app.topic(topic),
      async (stream) => {
        for await (const event of stream.events()) {
          const headers = Object.fromEntries(Object.entries(event.headers).map(([k, v]) => [k, v.toString()]))
          received[topic].push({ key: event.key?.toString(), value: event.value, partition: event.partition, headers })
        }
      },
      { name: `collect-${topic}` },
    )
  }
  return { app, received }
}

/** A snapshot independent of arrival order: sorted by JSON text. */
export function sorted<T>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
}

/** Applies one manifest file's `yaml` to `app`. */
export async function apply(app: App, yaml: string) {
  return applyManifests(app, await loadManifests(manifestDir({ 'm.yaml': yaml })))
}

/** App `id` on `broker` running `yaml`, and a collector of `topics`: both started, both stopped with `running`. */
export async function started(running: App[], broker: string, id: string, yaml: string, topics: string[]) {
  const app = testApp(id, { ...quiet, broker })
  await apply(app, yaml)
  const client = collector(broker, topics)
  running.push(app, client.app)
  await app.start()
  await client.app.start()
  return { app, client }
}
