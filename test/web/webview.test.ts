import { randomUUID } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { applyManifests, loadManifests } from '../../src/declarative/index.ts'
import { App, webServerOf } from '../../src/index.ts'
import { manifestDir } from '../declarative/helpers.ts'
import { stopAfterEach } from '../helpers.ts'

const apps = stopAfterEach()

describe('Kaspr web views on the web server', () => {
  it('serves a compiled WebView at its path, with {name} parameters, request body and response selectors', async () => {
    const app = new App(`views-${randomUUID().slice(0, 8)}`, {
      broker: `memory://views-${randomUUID()}`,
      logLevel: 'silent',
      webEnabled: true,
      webPort: 0,
    })
    apps.push(app)
    await applyManifests(
      app,
      await loadManifests(
        manifestDir({
          'view.yaml': `apiVersion: kaspr.io/v1alpha1
kind: KasprWebView
metadata:
  name: quote
spec:
  request:
    method: POST
    path: /quote/{item}
  response:
    statusCode: 201
    headers:
      x-service: quotes
    bodySelector:
      onSuccess:
        javascript: "({ item: request.params.item, total: value })"
      onError:
        javascript: "({ problem: error.message })"
    statusCodeSelector:
      onError:
        javascript: '422'
  processors:
    operations:
      - name: validate
        map:
          javascript: |
            if (!(value.qty > 0)) throw new Error('qty must be positive')
            return value
      - name: price
        map:
          javascript: value.qty * 2.5
`,
        }),
      ),
    )
    await app.start()
    const url = webServerOf(app)!.url
    const post = (body: unknown) =>
      fetch(`${url}/quote/apple`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const ok = await post({ qty: 4 })
    expect(ok.status).toBe(201)
    expect(ok.headers.get('x-service')).toBe('quotes')
    expect(await ok.json()).toEqual({ item: 'apple', total: 10 })
    const bad = await post({ qty: 0 })
    expect(bad.status).toBe(422)
    expect(((await bad.json()) as { problem: string }).problem).toContain('qty must be positive')
  })
})
