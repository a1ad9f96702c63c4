import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Workers started by tests (`faustus worker` serves its web surface) take a free port, never one another's 6066.
    env: { FAUSTUS_WEB_PORT: '0' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/integration/**', 'test/interop/**', 'test/package/**', 'node_modules/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          // Interop tests run real Python Faust workers (faust-streaming in a venv the setup creates) beside ours.
          include: ['test/integration/**/*.test.ts', 'test/interop/**/*.test.ts'],
          // One real broker for the whole run, started here and stopped at the end.
          globalSetup: ['test/setup/kafka-global.ts', 'test/interop/setup/faust-venv.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // The files share one broker on a 2-core machine: in parallel they only get slower.
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Packs the tarball and installs it into a new project outside the repository (minutes, not seconds).
          name: 'package',
          include: ['test/package/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
})
