// vitest globalSetup of the interop tests: provisions the Python Faust venv once per run (scripts/faust-venv.sh,
// a no-op when it is already there) and passes its python to the test workers in FAUSTUS_TEST_FAUST_PYTHON. Without
// python3 the tests skip themselves with the reason in FAUSTUS_TEST_FAUST_SKIP.
import { provisionFaust } from '../python.ts'

export default async function setup(): Promise<void> {
  const result = await provisionFaust()
  if ('skip' in result) process.env.FAUSTUS_TEST_FAUST_SKIP = result.skip
  else process.env.FAUSTUS_TEST_FAUST_PYTHON = result.python
}
