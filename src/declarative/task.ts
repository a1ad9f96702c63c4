/**
 * Task resources: a pipeline run on a schedule (`interval` as a timer, `cron` as a crontab job, optionally on the
 * leader only) or once when the app starts. The first operation gets `value` null; a `map` makes the value to
 * send, a `topicSend` sends it.
 */
import type { App } from '../app/app.ts'
import { durationMs } from './durations.ts'
import type { ArgsOf } from './outputs.ts'
import { buildSteps, runSteps, type StepContext } from './pipeline.ts'
import { type Resource, resourceName } from './resources.ts'
import { OPERATION_PARAMS } from './snippets.ts'

const argsOf: ArgsOf = (item) => [item.value]

/** Defines the task, timer or crontab job of a Task resource. */
export function defineTask(app: App, resource: Resource<'Task'>, ctx: Omit<StepContext, 'names'>): void {
  const spec = resource.spec
  const name = resourceName(resource)
  const steps = buildSteps(spec.processors, { ...ctx, names: OPERATION_PARAMS.Task })
  const run = () => runSteps(steps, 0, { value: null }, argsOf, () => {})
  const options = { name, onLeader: spec.onLeader ?? false }
  const schedule = spec.schedule
  if (schedule?.interval !== undefined) app.timer(durationMs(schedule.interval), run, options)
  else if (schedule?.cron !== undefined) app.crontab(schedule.cron, run, { ...options, timezone: schedule.timezone })
  else app.task(run, { name })
}
