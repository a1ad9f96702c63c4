/** (c) `kcat` consuming the input topic from the beginning to its end: the native consumer ceiling. */
import { spawn } from 'node:child_process'

export interface KcatRun {
  /** Records seen: bytes printed / (value bytes + newline). */
  count: number
  ms: number
}

export function kcatConsume(bootstrap: string, topic: string, valueBytes: number): Promise<KcatRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn('kcat', ['-C', '-b', bootstrap, '-t', topic, '-e', '-o', 'beginning', '-q'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let bytes = 0
    let stderr = ''
    // Only the byte count is kept: kcat prints each value and a newline.
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.on('error', (error) =>
      reject(new Error(`kcat could not start (scripts/install-deps.sh installs it): ${error.message}`)),
    )
    child.on('close', (code) => {
      const ms = performance.now() - started
      if (code !== 0) reject(new Error(`kcat exited with ${code}: ${stderr.trim()}`))
      else resolve({ count: Math.round(bytes / (valueBytes + 1)), ms })
    })
  })
}
