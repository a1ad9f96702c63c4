import { describe, expect, it } from 'vitest'
import { CopartitionedAssignor } from '../../src/transport/assignor.ts'
import {
  decodeClientMetadata,
  emptyClientMetadata,
  encodeSubscriptionMetadata,
} from '../../src/transport/assignor-metadata.ts'

describe('member urls in the group protocol', () => {
  it("announces the member's url and puts every table changelog in changelog_distribution, standbys or not", () => {
    const options = {
      standbys: 0,
      standbyTopics: () => false,
      changelogTopics: (t: string) => t.endsWith('-changelog'),
    }
    const a = new CopartitionedAssignor({ ...options, url: 'http://a:1' })
    const b = new CopartitionedAssignor({ ...options, url: 'http://b:2' })
    expect(decodeClientMetadata(a.subscriptionUserData([]))?.url).toBe('http://a:1')
    const topics = ['in', 'app-counts-changelog']
    const result = a.assign({
      members: [
        { memberId: 'm-a', topics, userData: a.subscriptionUserData(topics) },
        { memberId: 'm-b', topics, userData: b.subscriptionUserData(topics) },
      ],
      partitionsPerTopic: new Map([
        ['in', 4],
        ['app-counts-changelog', 4],
      ]),
    })
    const forB = decodeClientMetadata(result.get('m-b')!.userData)!
    expect(forB.url).toBe('http://b:2')
    const distribution = forB.changelog_distribution
    expect(Object.keys(distribution).sort()).toEqual(['http://a:1', 'http://b:2'])
    const owned = [
      ...distribution['http://a:1']['app-counts-changelog'],
      ...distribution['http://b:2']['app-counts-changelog'],
    ]
    expect(owned.sort()).toEqual([0, 1, 2, 3])
    expect(distribution['http://a:1'].in).toBeUndefined()
  })

  it('reads a member without user data as having no url', () => {
    expect(decodeClientMetadata(encodeSubscriptionMetadata(emptyClientMetadata()))?.url).toBe('')
  })
})
