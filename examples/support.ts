// Helpers shared by the examples: running a module directly, and keeping what an example prints.
import { pathToFileURL } from 'node:url'
import { inspect } from 'node:util'

/** True when the module at `url` is the program being run (`npx tsx examples/noagents.ts`). */
export function isMain(url: string): boolean {
  return process.argv[1] !== undefined && url === pathToFileURL(process.argv[1]).href
}

/** The lines an example prints: kept so tests can assert them, echoed to stdout when run directly. */
export class Output {
  lines: string[] = []
  echo = false

  /** Starts a new run: forgets earlier lines. */
  reset(echo = false): void {
    this.lines = []
    this.echo = echo
  }

  print(line: string): void {
    this.lines.push(line)
    if (this.echo) console.log(line)
  }
}

/** Python's repr, near enough for the guide's `{value!r}`: `'text'`, `4`, `[1, 4]`, `Add(a=4, b=4)`. */
export function repr(value: unknown): string {
  const asDict = (value as { asDict?: () => Record<string, unknown> } | null)?.asDict
  if (typeof asDict === 'function') {
    const fields = Object.entries(asDict.call(value)).map(([name, field]) => `${name}=${repr(field)}`)
    return `${(value as object).constructor.name}(${fields.join(', ')})`
  }
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`
  if (value instanceof Date) return value.toISOString()
  return inspect(value, { breakLength: Number.POSITIVE_INFINITY })
}

/** Polls `condition` until it holds (examples wait for their agents this way); fails after `timeoutMs`. */
export async function until(condition: () => boolean, timeoutMs = 5000, what = 'the example'): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}
