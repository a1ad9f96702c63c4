/** A stop signal: settled once, rejected with the crash error if there was one; never an unhandled rejection. */
export function deferred() {
  let settle!: (error?: Error) => void
  const state = {
    settled: false,
    promise: undefined as unknown as Promise<void>,
    settle: (error?: Error) => settle(error),
  }
  state.promise = new Promise<void>((resolve, reject) => {
    settle = (error) => {
      state.settled = true
      if (error) reject(error)
      else resolve()
    }
  })
  state.promise.catch(() => {})
  return state
}
