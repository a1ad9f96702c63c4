/**
 * The project's own Kaspr-style example applications (examples/manifests/{page-counter, notification-router,
 * user-enrichment}): their inputs, expected outputs and tables, run on any broker (memory in the unit project,
 * Kafka in the integration project). Topic and app names get a suffix so that runs on one broker do not meet.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect } from 'vitest'
import { createAppFromManifests, type DeclaredWebView } from '../../src/declarative/index.ts'
import type { App } from '../../src/index.ts'
import { waitFor } from '../helpers.ts'
import { collector, manifestDir, sorted } from './helpers.ts'

interface Input {
  topic: string
  key: string
  value: unknown
}

interface Table {
  get(key: unknown): unknown
  has(key: unknown): boolean
}

export interface Example {
  dir: string
  app: string
  /** Topics the manifests name (renamed per run). */
  topics: string[]
  /** Inputs sent in phases; each phase waits for its condition before the next. */
  phases: { inputs: Input[]; done: (app: App) => boolean }[]
  /** Expected records per output topic: key and value, in any order across keys. */
  outputs: Record<string, { key: string; value: unknown }[]>
  /** Checks of the tables and web views once the outputs are in. */
  check(app: App, views: readonly DeclaredWebView[]): Promise<void>
}

const table = (app: App, name: string) => app.tables.get(name) as unknown as Table

const view = (agent: string, user: string, page: string, at: number) => ({
  topic: 'page-views',
  key: user,
  value: { user, page, agent, at },
})

export const EXAMPLES: Example[] = [
  {
    dir: 'examples/manifests/page-counter',
    app: 'page-counter',
    topics: ['page-views', 'page-visit-counts'],
    phases: [
      {
        inputs: [
          view('Firefox', 'u1', '/home', 1),
          view('Firefox', 'u1', '/home', 2),
          view('Firefox', 'u1', '/pricing', 3),
          view('Safari', 'u2', '/home', 4),
          view('Googlebot/2.1', 'u2', '/home', 5),
          view('Safari', 'u2', '/home', 6),
          view('curl', 'u3', '/docs', 7),
        ],
        done: () => true,
      },
    ],
    outputs: {
      'page-visit-counts': [
        { key: 'u1:/home', value: { user: 'u1', page: '/home', visits: 1, firstSeen: 1 } },
        { key: 'u1:/home', value: { user: 'u1', page: '/home', visits: 2, firstSeen: 1 } },
        { key: 'u1:/pricing', value: { user: 'u1', page: '/pricing', visits: 1, firstSeen: 3 } },
        { key: 'u2:/home', value: { user: 'u2', page: '/home', visits: 1, firstSeen: 4 } },
        { key: 'u2:/home', value: { user: 'u2', page: '/home', visits: 2, firstSeen: 4 } },
        { key: 'u3:/docs', value: { user: 'u3', page: '/docs', visits: 1, firstSeen: 7 } },
      ],
    },
    async check(app) {
      const visits = table(app, 'page-visits')
      expect(visits.get('u1:/home')).toEqual({ visits: 2, firstSeen: 1 })
      expect(visits.get('u2:/home')).toEqual({ visits: 2, firstSeen: 4 })
      expect(visits.get('u3:/docs')).toEqual({ visits: 1, firstSeen: 7 })
      // A missing key reads as the default the factory makes, and is not stored.
      expect(visits.has('u9:/home')).toBe(false)
      expect(visits.get('u9:/home')).toEqual({ visits: 0, firstSeen: null })
    },
  },
  {
    dir: 'examples/manifests/notification-router',
    app: 'notification-router',
    topics: [
      'preference-updates',
      'notification-requests',
      'email-notifications',
      'sms-notifications',
      'push-notifications',
      'notification-analytics',
    ],
    phases: [
      {
        inputs: [
          { topic: 'preference-updates', key: 'u1', value: { user_id: 'u1', channels: ['email', 'sms', 'push'] } },
          { topic: 'preference-updates', key: 'u2', value: { user_id: 'u2', channels: ['push'] } },
        ],
        done: (app) => table(app, 'user-preferences').has('u1') && table(app, 'user-preferences').has('u2'),
      },
      {
        inputs: [
          { topic: 'notification-requests', key: 'u1', value: { user_id: 'u1', notification_id: 'n1', text: 'hello' } },
          { topic: 'notification-requests', key: 'u2', value: { user_id: 'u2', notification_id: 'n2', text: 'hi' } },
          { topic: 'notification-requests', key: 'u3', value: { user_id: 'u3', notification_id: 'n3', text: 'hey' } },
        ],
        done: () => true,
      },
    ],
    outputs: {
      'email-notifications': [
        { key: 'u1:n1', value: { to: 'u1', channel: 'email', text: 'hello' } },
        { key: 'u3:n3', value: { to: 'u3', channel: 'email', text: 'hey' } },
      ],
      'sms-notifications': [{ key: 'u1:n1', value: { to: 'u1', channel: 'sms', text: 'hello' } }],
      'push-notifications': [
        { key: 'u1:n1', value: { to: 'u1', channel: 'push', text: 'hello' } },
        { key: 'u2:n2', value: { to: 'u2', channel: 'push', text: 'hi' } },
      ],
      'notification-analytics': [
        { key: 'email', value: { notification_id: 'n1', channel: 'email' } },
        { key: 'sms', value: { notification_id: 'n1', channel: 'sms' } },
        { key: 'push', value: { notification_id: 'n1', channel: 'push' } },
        { key: 'push', value: { notification_id: 'n2', channel: 'push' } },
        { key: 'email', value: { notification_id: 'n3', channel: 'email' } },
      ],
    },
    async check(app) {
      const preferences = table(app, 'user-preferences')
      expect(preferences.get('u1')).toEqual({ channels: ['email', 'sms', 'push'] })
      expect(preferences.get('u2')).toEqual({ channels: ['push'] })
      expect(preferences.has('u3')).toBe(false)
    },
  },
  {
    dir: 'examples/manifests/user-enrichment',
    app: 'user-enrichment',
    topics: ['user-signups', 'user-events', 'enriched-events', 'enrichment-errors'],
    phases: [
      {
        inputs: [
          { topic: 'user-signups', key: 'u1', value: { user_id: 'u1', name: 'Ann', country: 'SE' } },
          { topic: 'user-signups', key: 'u2', value: { user_id: 'u2', name: 'Bob', country: 'US', plan: 'pro' } },
        ],
        done: (app) => table(app, 'user-profiles').has('u1') && table(app, 'user-profiles').has('u2'),
      },
      {
        inputs: [
          { topic: 'user-events', key: 'u1', value: { user_id: 'u1', type: 'click' } },
          { topic: 'user-events', key: 'u1', value: { user_id: 'u1', type: 'view' } },
          { topic: 'user-events', key: 'u2', value: { user_id: 'u2', type: 'click' } },
          { topic: 'user-events', key: 'u9', value: { user_id: 'u9', type: 'click' } },
        ],
        done: () => true,
      },
    ],
    outputs: {
      'enriched-events': [
        { key: 'u1', value: { user_id: 'u1', type: 'click', user: { name: 'Ann', country: 'SE', plan: 'free' } } },
        { key: 'u1', value: { user_id: 'u1', type: 'view', user: { name: 'Ann', country: 'SE', plan: 'free' } } },
        { key: 'u2', value: { user_id: 'u2', type: 'click', user: { name: 'Bob', country: 'US', plan: 'pro' } } },
      ],
      'enrichment-errors': [{ key: 'u9', value: { user_id: 'u9', error: 'unknown user' } }],
    },
    async check(app, views) {
      const profiles = table(app, 'user-profiles')
      expect(profiles.get('events:u1')).toBe(2)
      expect(profiles.get('events:u2')).toBe(1)
      const profile = views.find((v) => v.name === 'user-profile')!
      expect(profile.pattern).toBe('/users/:user_id')
      const found = await profile.handle({ method: 'GET', path: '/users/u1' })
      expect(found.statusCode).toBe(200)
      expect(JSON.parse(found.body as string)).toEqual({
        user_id: 'u1',
        name: 'Ann',
        country: 'SE',
        plan: 'free',
        events: 2,
      })
      const missing = await profile.handle({ method: 'GET', path: '/users/u9' })
      expect(missing.statusCode).toBe(404)
      expect(JSON.parse(missing.body as string)).toEqual({ error: 'no user u9' })
    },
  },
]

/** A copy of an example's manifests with its topics and app renamed (`name` → `name-suffix`). */
function renamedCopy(example: Example, suffix: string): string {
  const files: Record<string, string> = {}
  for (const name of readdirSync(example.dir)) {
    let text = readFileSync(join(example.dir, name), 'utf8')
    for (const topic of example.topics)
      text = text.replace(new RegExp(`(?<![\\w-])${topic}(?![\\w-])`, 'g'), `${topic}${suffix}`)
    files[name] = text.replace(new RegExp(`(?<![\\w-])${example.app}(?![\\w-])`, 'g'), `${example.app}${suffix}`)
  }
  return manifestDir(files)
}

/**
 * Runs an example on `broker`: sends its inputs phase by phase, waits for every expected output, asserts outputs
 * (per key in order, exactly those records) and tables. Returns the apps for the caller to stop.
 */
export async function runExample(
  example: Example,
  options: { broker: string; suffix: string; logLevel: string; timeoutMs: number; running: App[] },
): Promise<void> {
  const { suffix, broker } = options
  const { app, applied } = await createAppFromManifests(renamedCopy(example, suffix), {
    broker,
    logLevel: options.logLevel as never,
  })
  const outputs = Object.keys(example.outputs)
  const client = collector(
    broker,
    outputs.map((topic) => `${topic}${suffix}`),
    `collector${suffix}`,
  )
  options.running.push(app, client.app)
  await app.start()
  await client.app.start()
  for (const [i, phase] of example.phases.entries()) {
    for (const input of phase.inputs) {
      await client.app.topic(`${input.topic}${suffix}`).send({ key: input.key, value: input.value })
    }
    await waitFor(() => phase.done(app), options.timeoutMs, `${example.app}: phase ${i + 1}`)
  }
  const expectedCount = outputs.reduce((n, topic) => n + example.outputs[topic].length, 0)
  const receivedCount = () => outputs.reduce((n, topic) => n + client.received[`${topic}${suffix}`].length, 0)
  await waitFor(() => receivedCount() >= expectedCount, options.timeoutMs, `${example.app}: outputs`)
  for (const topic of outputs) {
    const got = client.received[`${topic}${suffix}`].map((r) => ({ key: r.key, value: r.value }))
    expect(sorted(got), topic).toEqual(sorted(example.outputs[topic]))
    // Records of one key arrive in the order they were produced.
    for (const key of new Set(got.map((r) => r.key))) {
      expect(got.filter((r) => r.key === key)).toEqual(example.outputs[topic].filter((r) => r.key === key))
    }
  }
  await example.check(app, applied.webViews)
}
