#!/usr/bin/env node
// The `faustus` command. tsx is registered first so that -A modules written in TypeScript load (and, in a
// checkout, the CLI itself from src/); an installed package runs the compiled dist/.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { constants } from 'node:os'
import { fileURLToPath } from 'node:url'

// Node 24 turns async context frames on by default: tables find the agent writing them through AsyncLocalStorage,
// which slows every promise on older Node without them (measured 401k vs 792k events/s for an agent on Node 22).
const NODE_MAJOR = 24
const CONTEXT_FRAME = '--experimental-async-context-frame'
// `node bin/faustus.js` on an older system node, in a checkout that pins Node as a devDependency: rerun on that one.
const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url))
const major = Number(process.versions.node.split('.')[0])
const tooOld = major < NODE_MAJOR && existsSync(pinned)
const wantsFrames = major >= 22 && major < NODE_MAJOR && !process.execArgv.includes(CONTEXT_FRAME)
// FAUSTUS_REEXEC=1 takes the rerun path on any Node (the tests check signal forwarding through it).
const forced = process.env.FAUSTUS_REEXEC === '1'
if ((tooOld || wantsFrames || forced) && process.env.FAUSTUS_NO_REEXEC !== '1') {
  const node = tooOld ? pinned : process.execPath
  const flags = wantsFrames && !tooOld ? [CONTEXT_FRAME] : []
  // The child gets its own process group, so that a terminal's Ctrl-C reaches it once, through us, exactly as a
  // `kill -INT <our pid>` does: every stop signal is forwarded, none swallowed, none delivered twice.
  const child = spawn(node, [...flags, ...process.argv.slice(1)], {
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, FAUSTUS_NO_REEXEC: '1', FAUSTUS_WRAPPER_PID: String(process.pid) },
  })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    })
  }
  child.on('error', (error) => {
    process.stderr.write(`faustus: cannot start ${node}: ${error.message}\n`)
    process.exit(1)
  })
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)))
} else {
  // Rerun by the wrapper above, in a process group of our own: if the wrapper is killed outright (SIGKILL), nothing
  // forwards signals any more, so stop as if it had sent SIGTERM rather than run on as an orphan.
  const wrapper = Number(process.env.FAUSTUS_WRAPPER_PID)
  if (wrapper > 0) {
    setInterval(() => {
      if (process.ppid !== wrapper) process.kill(process.pid, 'SIGTERM')
    }, 1000).unref()
  }
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
