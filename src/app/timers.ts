import { Cron } from 'croner'
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

  constructor(log: Logger, isLeader: () => boolean) {
    this.#log = log
    this.#isLeader = isLeader
  }

  add(job: ScheduledJob): void {
    this.#jobs.push(job)
  }

  get jobs(): readonly ScheduledJob[] {
    return this.#jobs
  }

  start(): void {
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
        const handle = setInterval(tick, job.schedule.intervalMs)
        this.#stops.push(() => clearInterval(handle))
      } else {
        const cron = new Cron(job.schedule.cron, { timezone: job.schedule.timezone }, tick)
        this.#stops.push(() => cron.stop())
      }
    }
  }

  async stop(): Promise<void> {
    for (const stop of this.#stops.splice(0)) stop()
    await Promise.allSettled([...this.#running])
  }
}
