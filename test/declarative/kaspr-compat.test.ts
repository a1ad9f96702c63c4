/** Issue 14: Kaspr's example manifests run, code aside, unchanged. One test per point, on the memory transport. */
import { afterEach, describe, expect, it } from 'vitest'
import { applyManifests, loadManifests } from '../../src/declarative/index.ts'
import type { App } from '../../src/index.ts'
import { testApp, waitFor } from '../helpers.ts'
import { collector, manifestDir, memoryBroker, quiet } from './helpers.ts'

const running: App[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((app) => app.stop()))
})

async function apply(app: App, yaml: string) {
  return applyManifests(app, await loadManifests(manifestDir({ 'm.yaml': yaml })))
}

async function started(broker: string, id: string, yaml: string, topics: string[]) {
  const app = testApp(id, { ...quiet, broker })
  await apply(app, yaml)
  const client = collector(broker, topics)
  running.push(app, client.app)
  await app.start()
  await client.app.start()
  return { app, client }
}

describe('multi-name topics (point 5)', () => {
  it('a record sent to the second name of a topic another agent reads under several names lands there', async () => {
    const broker = memoryBroker()
    const { app, client } = await started(
      broker,
      'multi-name',
      `apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: reader
spec:
  input:
    topic:
      names: [my-topic1, my-topic2]
  processors:
    operations:
      - name: tag
        map:
          javascript: "({ ...value, seenOn: event.topic })"
  output:
    topics:
      - name: seen
---
apiVersion: kaspr.io/v1alpha1
kind: KasprAgent
metadata:
  name: writer
spec:
  input:
    topic:
      name: requests
  processors:
    operations:
      - name: route
        topicSend:
          name: my-topic2
`,
      ['seen'],
    )
    await app.topics.get('requests')!.send({ key: 'k', value: { n: 1 } })
    await waitFor(() => client.received.seen.length >= 1, 3000, 'seen')
    expect(client.received.seen[0].value).toEqual({ n: 1, seenOn: 'my-topic2' })
    expect(app.topics.get('my-topic2')!.name).toBe('my-topic2')
    expect(app.topics.get('my-topic1')!.names).toEqual(['my-topic1', 'my-topic2'])
  })
})
