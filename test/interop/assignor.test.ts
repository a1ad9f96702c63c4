/**
 * Our assignor's answers, judged by Python Faust's own follower checks (no broker): the assignment bytes as the
 * Kafka driver encodes them are decoded with aiokafka's protocol class and checked as `on_assignment` does.
 * Standbys of changelog topics are where the order of the Kafka-level list matters.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { CopartitionedAssignor } from '../../src/transport/assignor.ts'
import { decodeClientMetadata, encodeSubscriptionMetadata } from '../../src/transport/assignor-metadata.ts'
import { encodeAssignment } from '../../src/transport/kafka/group-protocol.ts'
import type { GroupMember, MemberAssignment } from '../../src/transport/types.ts'
import { faustPython, runPython } from './python.ts'

const skip = process.env.FAUSTUS_TEST_FAUST_SKIP
const CHANGELOG = 'app-counts-changelog'
const isChangelog = (topic: string) => topic.endsWith('-changelog')

const partitionsPerTopic = new Map([
  ['app-events', 4],
  [CHANGELOG, 4],
  ['app-__assignor-__leader', 1],
  ['f-reply-python', 1],
])
const urls: Record<string, string> = { faustus: 'http://127.0.0.1:6066', python: 'http://127.0.0.1:6067' }

function member(id: string, previous?: MemberAssignment): GroupMember {
  const topics = ['app-events', CHANGELOG, 'app-__assignor-__leader', ...(id === 'python' ? ['f-reply-python'] : [])]
  // What each member announces: its last assignment (decoded from what it received) and its own url.
  const last = previous ? decodeClientMetadata(previous.userData) : null
  const metadata = last ?? { assignment: { actives: {}, standbys: {} }, changelog_distribution: {}, topic_groups: {} }
  return { memberId: id, topics, userData: encodeSubscriptionMetadata({ ...metadata, url: urls[id] } as never) }
}

describe.skipIf(skip !== undefined)('Python Faust accepts the assignments of our assignor', () => {
  const faust = faustPython()

  test('with changelog standbys, over three rebalances (join, swap of roles, a member alone)', async () => {
    const assignor = new CopartitionedAssignor({ standbys: 1, standbyTopics: isChangelog, url: urls.faustus })
    const cases: { name: string; assignment: string; url: string; changelog_topics: string[] }[] = []
    const record = (name: string, result: Map<string, MemberAssignment>) => {
      for (const [id, assigned] of result) {
        const bytes = encodeAssignment({ version: 4, partitions: assigned.partitions, userData: assigned.userData })
        cases.push({
          name: `${name}/${id}`,
          assignment: bytes.toString('base64'),
          url: urls[id],
          changelog_topics: [CHANGELOG],
        })
      }
    }
    const first = assignor.assign({ members: [member('faustus'), member('python')], partitionsPerTopic })
    record('first', first)
    // The previous assignment comes back in the subscriptions: sticky, standbys kept.
    const second = assignor.assign({
      members: [member('faustus', first.get('faustus')), member('python', first.get('python'))],
      partitionsPerTopic,
    })
    record('second', second)
    // A member whose previous actives are the high partitions: its standbys sort before its actives.
    const swapped = assignor.assign({
      members: [member('faustus', first.get('python')), member('python', first.get('faustus'))],
      partitionsPerTopic,
    })
    record('swapped', swapped)
    const alone = assignor.assign({ members: [member('faustus', second.get('faustus'))], partitionsPerTopic })
    record('alone', alone)

    const dir = mkdtempSync(join(tmpdir(), 'faustus-assignor-'))
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases))
    const report = JSON.parse(await runPython(faust.path, 'assignor_check.py', [join(dir, 'cases.json')]))
    expect(report.failures).toEqual([])
    expect(report.checked).toBe(cases.length)
    // What Python read: version 4, both members hold actives and changelog standbys, topic groups by partition count.
    const py = report.assignments['first/python']
    expect(py.version).toBe(4)
    expect(Object.keys(py.actives)).toContain('f-reply-python')
    expect(py.standbys[CHANGELOG]?.length).toBeGreaterThan(0)
    expect(report.assignments['first/faustus'].standbys[CHANGELOG]?.length).toBeGreaterThan(0)
    expect(py.topic_groups['app-__assignor-__leader']).toBe(0)
    expect(py.topic_groups['app-events']).toBe(1)
    expect(Object.keys(py.changelog_distribution).sort()).toEqual(Object.values(urls).sort())
  })
})

if (skip !== undefined) {
  describe('assignor against Python Faust', () => {
    test.skip(`skipped: ${skip}`, () => {})
  })
}
