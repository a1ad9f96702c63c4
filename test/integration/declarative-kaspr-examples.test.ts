// The project's Kaspr-style example applications (examples/manifests) on a real Kafka broker: the same inputs,
// expected outputs and tables as on the memory transport (test/declarative/kaspr-examples.test.ts).
import { randomBytes } from 'node:crypto'
import { inject, it } from 'vitest'
import { EXAMPLES, runExample } from '../declarative/kaspr-examples.ts'
import { stopAfterEach } from '../helpers.ts'

const broker = `kafka://${inject('kafkaBootstrap')}`

const running = stopAfterEach()

for (const example of EXAMPLES) {
  it(`${example.app} runs on Kafka: outputs and tables as expected`, async () => {
    await runExample(example, {
      broker,
      suffix: `-${randomBytes(4).toString('hex')}`,
      logLevel: process.env.FAUSTUS_TEST_LOG ?? 'silent',
      timeoutMs: 60_000,
      running,
    })
  })
}
