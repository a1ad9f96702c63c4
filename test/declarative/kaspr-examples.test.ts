// The project's Kaspr-style example applications on the memory transport: inputs, outputs and tables asserted.
import { randomUUID } from 'node:crypto'
import { describe, it } from 'vitest'
import { stopAfterEach } from '../helpers.ts'
import { memoryBroker } from './helpers.ts'
import { EXAMPLES, runExample } from './kaspr-examples.ts'

const running = stopAfterEach()

describe('Kaspr-style example applications (examples/manifests)', () => {
  for (const example of EXAMPLES) {
    it(`${example.app} produces its expected outputs and tables`, async () => {
      await runExample(example, {
        broker: memoryBroker(),
        suffix: `-${randomUUID().slice(0, 6)}`,
        logLevel: process.env.FAUSTUS_TEST_LOG ?? 'silent',
        timeoutMs: 5000,
        running,
      })
    })
  }
})
