import { Cron } from 'croner'
import { type Clock, every, realClock } from '../clock.ts'
import { errorFields, type Logger } from '../logging.ts'

export interface TimerOptions {
  /** Run only on the app's leader worker (the owner of the leader topic's partition 0). */
  onLeader?: boolean
  name?: string
}

export interface ScheduledJob {
  name: string
  schedule: { intervalMs: number } | { cron: string; timezone?: string }
  fn: () => Promise<unknown> | unknown
  options: TimerOptions
}

/**
 * Runs timers and crontab jobs while the app runs. A run that is still going when the next is due is not started
 * twice; a failing run is logged and the schedule goes on.
 */
export class Scheduler {
  readonly #jobs: ScheduledJob[] = []
  readonly #log: Logger
  readonly #isLeader: () => boolean
  #stops: (() => void)[] = []
  #running = new Set<Promise<unknown>>()

  readonly #clock: () => Clock

  constructor(log: Logger, isLeader: () => boolean, clock: () => Clock = () => realClock) {
    this.#log = log
    this.#isLeader = isLeader
    this.#clock = clock
  }

  add(job: ScheduledJob): void {
    this.#jobs.push(job)
  }

  get jobs(): readonly ScheduledJob[] {
    return this.#jobs
  }

  start(): void {
    const clock = this.#clock()
    for (const job of this.#jobs) {
      let busy = false
      const tick = () => {
        if (busy || (job.options.onLeader && !this.#isLeader())) return
        busy = true
        const run = (async () => {
          try {
            await job.fn()
          } catch (error) {
            this.#log.error({ ...errorFields(error), job: job.name }, 'scheduled job failed')
          } finally {
            busy = false
          }
        })()
        this.#running.add(run)
        void run.finally(() => this.#running.delete(run))
      }
      if ('intervalMs' in job.schedule) {
        this.#stops.push(every(clock, job.schedule.intervalMs, tick))
      } else {
        // croner computes the next run from the clock's time; the clock waits for it (so a virtual clock drives
        // crontab jobs too).
        const pattern = new Cron(job.schedule.cron, { timezone: job.schedule.timezone, paused: true })
        let cancel = () => {}
        let stopped = false
        const arm = () => {
          const next = pattern.nextRun(new Date(clock.now()))
          if (next === null || stopped) return
          cancel = clock.schedule(Math.max(0, next.getTime() - clock.now()), () => {
            if (stopped) return
            arm()
            tick()
          })
        }
        arm()
        this.#stops.push(() => {
          stopped = true
          cancel()
          pattern.stop()
        })
      }
    }
  }

  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop()
    await Promise.allSettled([...this.#running])
  }
}
