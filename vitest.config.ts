import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/interop/**', 'node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // One real broker for the whole run, started here and stopped at the end.
          globalSetup: ['test/setup/kafka-global.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          // The files share one broker on a 2-core machine: in parallel they only get slower.
          fileParallelism: false,
        },
      },
    ],
  },
})
