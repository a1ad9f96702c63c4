/**
 * Where the app reads time and schedules work (timers, crontab jobs, ask timeouts). Real by default; the test
 * driver (`faustus/testing`) swaps in a virtual clock it advances by hand, so time-driven behaviour is tested
 * without waiting in real time.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  /** Runs `fn` once, `delayMs` from now; returns a function that cancels it. Never keeps the process alive. */
  schedule(delayMs: number, fn: () => void): () => void
}

/** setTimeout's largest delay: longer waits are taken in steps. */
const MAX_DELAY_MS = 2 ** 31 - 1

export const realClock: Clock = {
  now: () => Date.now(),
  schedule(delayMs, fn) {
    let handle: NodeJS.Timeout
    const due = Date.now() + delayMs
    const arm = (ms: number) => {
      handle = setTimeout(
        () => {
          const left = due - Date.now()
          if (left > 0) arm(left)
          else fn()
        },
        Math.min(Math.max(0, ms), MAX_DELAY_MS),
      )
      handle.unref?.()
    }
    arm(delayMs)
    return () => clearTimeout(handle)
  },
}

/** Runs `fn` every `intervalMs` on `clock` until the returned function is called; late runs do not shift later ones. */
export function every(clock: Clock, intervalMs: number, fn: () => void): () => void {
  let cancel = () => {}
  let stopped = false
  let due = clock.now() + intervalMs
  const arm = () => {
    cancel = clock.schedule(Math.max(0, due - clock.now()), () => {
      if (stopped) return
      // The next run is due one interval after this one was due (skipping runs missed entirely).
      due += intervalMs
      if (due <= clock.now()) due = clock.now() + intervalMs
      arm()
      fn()
    })
  }
  arm()
  return () => {
    stopped = true
    cancel()
  }
}

/** True once `promise` resolves (a rejection passes through), false if `ms` (real time) passes first; nothing is cancelled. */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (!Number.isFinite(ms)) return promise.then(() => true)
  let cancel = () => {}
  const late = new Promise<false>((resolve) => {
    cancel = realClock.schedule(ms, () => resolve(false))
  })
  return Promise.race([promise.then(() => true), late]).finally(cancel)
}
