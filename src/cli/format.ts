/** Plain-text tables and error lines for the CLI's output. */
import { redactUrls } from '../logging.ts'

/** A left-aligned table with a header row and a rule under it; cells are single-line. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => row.map((cell) => (cell === undefined || cell === null ? '' : String(cell))))
  const widths = headers.map((header, i) => Math.max(header.length, ...cells.map((row) => (row[i] ?? '').length)))
  const line = (row: readonly string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd()
  return `${[line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n')}\n`
}

export function jsonText(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  // Duck-typed rather than instanceof: the app module may carry its own copy of the error classes.
  return typeof code === 'string' && code.startsWith('FST_') ? code : undefined
}

function messageOf(error: unknown): string {
  // Last line of defence: a message quoting a URL never shows its password.
  return redactUrls(error instanceof Error ? error.message : String(error))
}

/** `error [FST_CODE]: message`, then the chain of causes, one per line. */
export function formatError(error: unknown): string {
  const code = codeOf(error)
  let text = `error${code === undefined ? '' : ` [${code}]`}: ${messageOf(error)}\n`
  let cause = error instanceof Error ? error.cause : undefined
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    const causeCode = codeOf(cause)
    text += `  caused by${causeCode === undefined ? '' : ` [${causeCode}]`}: ${messageOf(cause)}\n`
    cause = cause instanceof Error ? cause.cause : undefined
  }
  return text
}
