/**
 * Join resources: Kaspr's KasprJoin (a table–table join driven by the left table: each change of a left key looks
 * up the right table by the key the extractor takes from the left value, and sends `{ left, right }` to the output
 * channel; inner skips a missing right value, left sends it as null), and Faustus's windowed stream–stream join of
 * two topics (run as a task, results to the output channel or topic).
 */
import type { App } from '../app/app.ts'
import type { Channel } from '../channels/channel.ts'
import type { Topic } from '../channels/topic.ts'
import { joinTables } from '../joins/table-join.ts'
import { errorFields } from '../logging.ts'
import type { Table } from '../tables/table.ts'
import { durationMs } from './durations.ts'
import { outputTopic } from './outputs.ts'
import type { ResourceProgram } from './program.ts'
import { declaredChannel } from './registry.ts'
import { type Resource, resourceName } from './resources.ts'

interface JoinContext {
  program: ResourceProgram
  table(name: string): unknown
}

function target(app: App, resource: Resource<'Join'>): Topic<any, any> | Channel<any, any> {
  const { outputTopic: topic, outputChannel } = resource.spec
  if (topic !== undefined) return outputTopic(app, topic, {})
  return declaredChannel(app, outputChannel ?? `${resourceName(resource)}-channel`)
}

/** Defines the join of a Join resource on `app`. */
export function defineJoin(app: App, resource: Resource<'Join'>, ctx: JoinContext): void {
  const spec = resource.spec
  const name = resourceName(resource)
  const output = target(app, resource)
  const log = app.log.child({ resource: resource.label })
  const send = (key: unknown, value: unknown) =>
    output.send({ key, value }).catch((error: unknown) => {
      log.error({ ...errorFields(error) }, `join "${name}": a result could not be sent`)
    })
  if (spec.leftTable !== undefined) {
    const extract = ctx.program.call(['spec', 'extractor'], ['value', 'key'])
    const left = ctx.table(spec.leftTable) as Table
    const right = ctx.table(spec.rightTable!) as Table
    joinTables(left, right, {
      kind: spec.type === 'left' ? 'left' : 'inner',
      extractor: (value, key) => extract([value, key]),
    }).onChange((key, value) => {
      // A key leaving the join (its left value deleted, or no right value in an inner join) sends nothing.
      if (value !== null) void send(key, value)
    })
    return
  }
  const window = spec.window!
  const ms = (duration: string | number | undefined) => (duration === undefined ? undefined : durationMs(duration))
  const options = {
    name,
    within: ms(window.within),
    before: ms(window.before),
    after: ms(window.after),
    grace: ms(window.grace),
    joiner: (l: unknown, r: unknown) => ({ left: l, right: r }),
  }
  const leftTopic = outputTopic(app, spec.left!.topic, {})
  const rightTopic = outputTopic(app, spec.right!.topic, {})
  app.task(
    async () => {
      const a = leftTopic.stream()
      const b = rightTopic.stream()
      const joined =
        spec.type === 'left'
          ? a.leftJoin(b, options)
          : spec.type === 'outer'
            ? a.outerJoin(b, options)
            : a.join(b, options)
      for await (const event of joined.events()) await output.send({ key: event.key, value: event.value })
    },
    { name: `join-${name}` },
  )
}
