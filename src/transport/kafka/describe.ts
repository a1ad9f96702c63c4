/** Describing library errors in log lines and error messages. */

/** A one-line description of a library error, including the first nested causes. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const nested = (error as { errors?: unknown[] }).errors
  if (Array.isArray(nested) && nested.length > 0) {
    const last = nested[nested.length - 1]
    return `${error.message} (${describeError(last)})`
  }
  const cause = (error as { cause?: unknown }).cause
  const apiId = (error as { apiId?: unknown }).apiId
  const base =
    typeof apiId === 'string' && !error.message.includes(apiId) ? `${apiId}: ${error.message}` : error.message
  return cause instanceof Error ? `${base}: ${cause.message}` : base
}
