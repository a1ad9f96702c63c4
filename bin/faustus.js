#!/usr/bin/env node
// The `faustus` command. tsx is registered first so that -A modules written in TypeScript load (and, in a
// checkout, the CLI itself from src/); an installed package runs the compiled dist/.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'

const NODE_MAJOR = 22
// npm puts the directory of its own node first on PATH, so `npx faustus` may start on an older system node even
// though the project pins node 22 as a devDependency. Rerun on that one.
const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))
const major = Number(process.versions.node.split('.')[0])
const tooOld = major < NODE_MAJOR && existsSync(pinned)
// Tables find the agent writing them through AsyncLocalStorage, which slows every promise on Node 22 unless
// async context frames are on (the default from Node 24): measured 401k vs 792k events/s for an agent.
const CONTEXT_FRAME = '--experimental-async-context-frame'
const wantsFrames = major < 24 && !process.execArgv.includes(CONTEXT_FRAME) && process.env.FAUSTUS_NO_REEXEC !== '1'
if (tooOld || wantsFrames) {
  const node = tooOld ? pinned : process.execPath
  const flags = major >= 22 || tooOld ? [CONTEXT_FRAME] : []
  const child = spawn(node, [...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, FAUSTUS_NO_REEXEC: '1' },
  })
  // Ctrl-C reaches the child through the terminal's process group; a SIGTERM sent to us is passed on.
  process.on('SIGINT', () => {})
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  const source = new URL('../src/cli/main.ts', import.meta.url)
  const cli = existsSync(source) ? source : new URL('../dist/cli/main.js', import.meta.url)
  const { main } = await import(cli.href)
  const code = await main(process.argv)
  process.exitCode = code
  // Lingering handles (a broker socket, a timer) must not keep a finished command alive.
  setTimeout(() => process.exit(code), 3000).unref()
}
